"""Readable terminal output of an assessment (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from isocourse.assessment import Assessment

_SEVERITY_STYLE = {
    "stop": "bold white on red",
    "urgent": "bold red",
    "block": "bold magenta",
    "warning": "yellow",
    "info": "cyan",
}
DISCLAIMER = (
    "isocourse supports a clinician's decision; it does not replace it. "
    "Check every alert against the patient and the current label."
)


def render_assessment(assessment: Assessment, console: Console, *, explain: bool = False) -> None:
    cumulative = assessment.cumulative
    console.print(
        f"[bold]Patient {assessment.patient_id}[/bold] on {assessment.as_of.isoformat()}",
        highlight=False,
    )
    console.print(_summary_line(assessment), highlight=False)
    projected = cumulative.projected_completion
    console.print(
        f"Cumulative {cumulative.mg:g} mg = {_number(cumulative.mg_per_kg)} mg/kg of "
        f"{cumulative.target_mg_per_kg:g} mg/kg target ({_percent(cumulative.fraction)}); "
        f"day {cumulative.days_on_treatment}; projected end "
        f"{projected.isoformat() if projected else 'unknown'}",
        highlight=False,
    )
    verdict = (
        "[bold green]ALLOWED[/]" if assessment.dispense.allowed else "[bold red]NOT ALLOWED[/]"
    )
    closes = assessment.dispense.window_closes
    window = f" (dispense by {closes.isoformat()})" if closes else ""
    console.print(f"Prescribe/dispense: {verdict}{window}")
    if assessment.alerts:
        console.print(_alert_table(assessment))
    if assessment.due:
        due = Table(title="Due", show_lines=False)
        for column in ("task", "due", "overdue"):
            due.add_column(column)
        for item in assessment.due:
            due.add_row(item.task, item.due.isoformat(), "OVERDUE" if item.overdue else "")
        console.print(due)
    if explain:
        console.print(_explain_table(assessment))
    console.print(f"[dim]{DISCLAIMER}[/dim]")


def _summary_line(assessment: Assessment) -> str:
    weight = f"{assessment.weight_kg:g} kg" if assessment.weight_kg is not None else "no weight"
    dose = assessment.dose
    if dose.mg_per_day is None:
        return f"Weight {weight}; no current dose"
    return (
        f"Weight {weight}; dose {dose.mg_per_day:g} mg/day = "
        f"{_number(dose.mg_per_kg_per_day)} mg/kg/day"
    )


def _alert_table(assessment: Assessment) -> Table:
    table = Table(title="Alerts", show_lines=True, expand=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("code", no_wrap=True)
    table.add_column("what it means and what to do", ratio=3)
    table.add_column("source", ratio=2)
    for alert in assessment.alerts:
        style = _SEVERITY_STYLE[alert.severity]
        table.add_row(f"[{style}]{alert.severity}[/]", alert.code, alert.message, alert.source)
    return table


def _explain_table(assessment: Assessment) -> Table:
    table = Table(title="Programme conditions", show_lines=True, expand=True)
    table.add_column("condition", ratio=3)
    table.add_column("holds", no_wrap=True)
    table.add_column("rests on", ratio=3)
    table.add_column("source", ratio=2)
    if not assessment.checks:
        table.add_row("no programme conditions apply", "", "", "")
    for check in assessment.checks:
        holds = "[green]yes[/]" if check.holds else "[red]no[/]"
        table.add_row(check.condition, holds, check.evidence, check.source)
    return table


def _number(value: float | None) -> str:
    return "unknown" if value is None else f"{value:g}"


def _percent(fraction: float | None) -> str:
    return "unknown" if fraction is None else f"{fraction:.0%}"
