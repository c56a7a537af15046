"""Readable terminal output of an assessment (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from isocourse.assessment import Assessment
from isocourse.cli.output import Cell, Column, Value, print_line, print_listing

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
    """The assessment as readable text: whole values when piped, words wrapped (never
    codes or sources cut) at any terminal width (see :mod:`isocourse.cli.output`)."""
    cumulative = assessment.cumulative
    print_line(
        console, f"Patient {assessment.patient_id} on {assessment.as_of.isoformat()}", "bold"
    )
    print_line(console, _summary_line(assessment))
    projected = cumulative.projected_completion
    print_line(
        console,
        f"Cumulative {cumulative.mg:g} mg = {_number(cumulative.mg_per_kg)} mg/kg of "
        f"{cumulative.target_mg_per_kg:g} mg/kg target ({_percent(cumulative.fraction)}); "
        f"day {cumulative.days_on_treatment}; projected end "
        f"{projected.isoformat() if projected else 'unknown'}",
    )
    allowed = assessment.dispense.allowed
    closes = assessment.dispense.window_closes
    window = f" (dispense by {closes.isoformat()})" if closes else ""
    verdict = Text("Prescribe/dispense: ")
    verdict.append("ALLOWED" if allowed else "NOT ALLOWED", "bold green" if allowed else "bold red")
    verdict.append(window)
    print_line(console, verdict)
    if assessment.alerts:
        print_listing(
            console,
            "Alerts",
            (
                Column("severity", key=True),
                Column("code", key=True),
                Column("what it means and what to do", label=""),
                Column("source"),
            ),
            [
                (Cell(a.severity, _SEVERITY_STYLE[a.severity]), a.code, a.message, a.source)
                for a in assessment.alerts
            ],
        )
    if assessment.due:
        print_listing(
            console,
            "Due",
            (Column("task", key=True), Column("due", key=True), Column("overdue", key=True)),
            [
                (item.task, item.due.isoformat(), "OVERDUE" if item.overdue else "")
                for item in assessment.due
            ],
            show_lines=False,
        )
    if explain:
        _print_checks(assessment, console)
    print_line(console, DISCLAIMER, "dim")


def _print_checks(assessment: Assessment, console: Console) -> None:
    rows: list[tuple[Value, ...]] = [
        (
            Cell("yes", "green") if check.holds else Cell("no", "red"),
            check.condition,
            check.evidence,
            check.source,
        )
        for check in assessment.checks
    ]
    if not rows:
        rows = [("", "no programme conditions apply", "", "")]
    print_listing(
        console,
        "Programme conditions",
        (Column("holds", key=True), Column("condition"), Column("rests on"), Column("source")),
        rows,
    )


def _summary_line(assessment: Assessment) -> str:
    weight = f"{assessment.weight_kg:g} kg" if assessment.weight_kg is not None else "no weight"
    dose = assessment.dose
    if dose.mg_per_day is None:
        return f"Weight {weight}; no current dose"
    return (
        f"Weight {weight}; dose {dose.mg_per_day:g} mg/day = "
        f"{_number(dose.mg_per_kg_per_day)} mg/kg/day"
    )


def _number(value: float | None) -> str:
    return "unknown" if value is None else f"{value:g}"


def _percent(fraction: float | None) -> str:
    return "unknown" if fraction is None else f"{fraction:.0%}"

