"""``isocourse demo``: the fictional demo clinic's work-list, evaluated today."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from isocourse.cli.common import knowledge, settings
from isocourse.cli.render import DISCLAIMER
from isocourse.demo_patients import demo_patients
from isocourse.record_parser import course_record_from_json
from isocourse.rules import assess
from isocourse.worklist import worklist


def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Only print the work-list.")] = False,
) -> None:
    """Evaluate the fictional demo patients for today and show the clinic's work-list."""
    del no_serve  # there is no server yet: the work-list is all the demo shows
    known = knowledge()
    today = settings().today()
    patients = demo_patients(today)
    names = {p.record["patient"]["id"]: p.name for p in patients}
    assessments = [
        assess(record, known, as_of=record.as_of)
        for record in (course_record_from_json(p.record, known, today=today) for p in patients)
    ]
    table = Table(title=f"Demo clinic work-list, {today.isoformat()} (fictional patients)")
    for column in ("patient", "why", "dispense", "mg/kg so far"):
        table.add_column(column)
    for row in worklist(assessments, today):
        cumulative = row.assessment.cumulative
        so_far = "—" if cumulative.mg_per_kg is None else f"{cumulative.mg_per_kg:g}"
        allowed = "[green]allowed[/]" if row.assessment.dispense.allowed else "[red]blocked[/]"
        table.add_row(f"{names[row.patient_id]} ({row.patient_id})", row.reason, allowed, so_far)
    console = Console()
    console.print(table)
    console.print(f"[dim]{DISCLAIMER}[/dim]")
