"""``isocourse synth`` (a fictional registry, written in bulk) and ``isocourse reassess``."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from isocourse.cli.common import fail, knowledge, settings
from isocourse.cli.output import Column, print_listing, stdout_console

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from isocourse.registry.reassess import ReassessSummary

_WORKERS = os.cpu_count() or 1


def _progress() -> Progress:
    """A progress bar on standard error (standard output stays for the result)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
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
    from isocourse.registry.synth_writer import SynthPlan, write_synthetic_registry
    from isocourse.store.database import migrate, open_store

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
    store = open_store(config)
    try:
        with _progress() as progress:
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
    from sqlalchemy.exc import SQLAlchemyError

    from isocourse.registry.reassess import ReassessPlan, reassess_registry
    from isocourse.registry.streaming import patient_count
    from isocourse.store.database import open_store

    config = settings()
    day: date = as_of.date() if as_of else config.today()
    plan = ReassessPlan(
        as_of=day, assessed_at=datetime.now(tz=UTC), workers=workers, batch_size=batch_size
    )
    store = open_store(config)
    try:
        with _progress() as progress:
            total = patient_count(store.engine)
            task = progress.add_task(f"re-assessing for {day.isoformat()}", total=total)
            summary = reassess_registry(
                store, knowledge(), plan, lambda n: progress.advance(task, n)
            )
    except SQLAlchemyError as error:  # a database never migrated, a lost connection
        fail(f"the re-assessment stopped (run `isocourse db upgrade` first?): {error}")
    finally:
        store.close()
    _print_summary(stdout_console(), summary)


def _print_summary(console: Console, summary: ReassessSummary) -> None:
    from isocourse.assessment import SEVERITIES

    rate = summary.patients / summary.seconds if summary.seconds else 0.0
    rows = [
        ("patients", str(summary.patients)),
        ("invalid records", str(summary.invalid)),
        ("dispense blocked", str(summary.blocked)),
        *(
            (f"alerts: {severity}", str(summary.alerts_by_severity[severity]))
            for severity in reversed(SEVERITIES)
        ),
        ("time", f"{summary.seconds:.1f} s ({rate:.0f} patients/s)"),
    ]
    columns = (Column("figure", key=True), Column("value", key=True))
    print_listing(console, "re-assessment", columns, rows, show_lines=False)
