"""``isocourse synth`` (a fictional registry, written in bulk) and ``isocourse reassess``."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from isocourse.assessment import SEVERITIES
from isocourse.cli.common import fail, knowledge, settings
from isocourse.registry.reassess import ReassessPlan, ReassessSummary, reassess_registry
from isocourse.registry.streaming import patient_count
from isocourse.registry.synth_writer import SynthPlan, write_synthetic_registry
from isocourse.store.database import migrate, open_store

_WORKERS = os.cpu_count() or 1


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def synth(
    patients: Annotated[int, typer.Option(min=1, help="how many fictional patients")],
    seed: Annotated[int, typer.Option(help="the registry's seed (same seed, same patients)")],
    clinic: Annotated[
        str, typer.Option(help="the clinic to hold them; created when new")
    ] = "synth",
    batch_size: Annotated[int, typer.Option(min=1, help="patients per transaction")] = 2000,
    workers: Annotated[int, typer.Option(min=1, help="generator processes")] = _WORKERS,
    today: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="the registry's day")
    ] = None,
) -> None:
    """Write a fictional registry into the database (idempotent per seed and index)."""
    config = settings()
    migrate(config.sqlalchemy_url())
    plan = SynthPlan(
        patients=patients,
        seed=seed,
        clinic_id=clinic,
        today=today.date() if today else config.today(),
        now=datetime.now(tz=UTC),
        batch_size=batch_size,
        workers=workers,
    )
    store, console = open_store(config), Console(stderr=True)
    try:
        with _progress(console) as progress:
            task = progress.add_task("writing patients", total=patients)
            report = write_synthetic_registry(store, plan, lambda n: progress.advance(task, n))
    finally:
        store.close()
    typer.echo(
        f"{report.written} patients written ({report.events} events), "
        f"{report.skipped} already present, clinic {clinic}"
    )


def reassess(
    as_of: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="the day (default: today)")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="evaluation processes")] = _WORKERS,
    batch_size: Annotated[int, typer.Option(min=1, help="patients per read and write")] = 1000,
) -> None:
    """Re-assess every patient for a day and store each one's latest assessment."""
    config = settings()
    day: date = as_of.date() if as_of else config.today()
    plan = ReassessPlan(
        as_of=day, assessed_at=datetime.now(tz=UTC), workers=workers, batch_size=batch_size
    )
    store, console = open_store(config), Console(stderr=True)
    try:
        with _progress(console) as progress:
            total = patient_count(store.engine)
            task = progress.add_task(f"re-assessing for {day.isoformat()}", total=total)
            summary = reassess_registry(
                store, knowledge(), plan, lambda n: progress.advance(task, n)
            )
    except SQLAlchemyError as error:  # a database never migrated, a lost connection
        fail(f"the re-assessment stopped (run `isocourse db upgrade` first?): {error}")
    finally:
        store.close()
    _print_summary(Console(), summary)


def _print_summary(console: Console, summary: ReassessSummary) -> None:
    table = Table(title="re-assessment", show_header=False)
    rate = summary.patients / summary.seconds if summary.seconds else 0.0
    table.add_row("patients", str(summary.patients))
    table.add_row("invalid records", str(summary.invalid))
    table.add_row("dispense blocked", str(summary.blocked))
    for severity in reversed(SEVERITIES):
        table.add_row(f"alerts: {severity}", str(summary.alerts_by_severity[severity]))
    table.add_row("time", f"{summary.seconds:.1f} s ({rate:.0f} patients/s)")
    console.print(table)
