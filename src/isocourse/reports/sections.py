"""The sections of the course summary PDF, each a small function writing onto a page."""

from __future__ import annotations

import io
from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from isocourse.assessment import Assessment
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord
from isocourse.reports.lab_series import LabSeries
from isocourse.rules.course_facts import age_on

_SEVERITY_COLOUR = {
    "stop": (183, 28, 28),
    "urgent": (191, 54, 12),
    "block": (198, 40, 40),
    "warning": (230, 81, 0),
    "info": (21, 101, 192),
}
_YES_NO = {True: "yes", False: "no", None: "not recorded"}
_PROGRAMME = {
    "us-ipledge": "iPLEDGE REMS (US)",
    "eu-ppp": "EU Pregnancy Prevention Programme",
    "uk-mhra": "UK MHRA Pregnancy Prevention Programme",
    "none": "no pregnancy prevention programme",
}


#: the most a table cell shows of a free text (a lab's unit, a name): a row must fit on
#: one page, and a record may hold a lab unit of any length
CELL_TEXT_MAX = 200


def shortened(text: str, limit: int = CELL_TEXT_MAX) -> str:
    """``text``, cut to ``limit`` characters with an ellipsis (the record keeps it all)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Page:
    """Writing helpers over one fpdf2 document."""

    def __init__(self, document: FPDF, font: str) -> None:
        self.document = document
        self.font = font

    def title(self, text: str) -> None:
        self.document.ln(2)
        self.document.set_font(self.font, "B", 11)
        self.document.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.document.set_font(self.font, "", 9)

    def text(self, text: str, *, size: float = 9, bold: bool = False) -> None:
        self.document.set_font(self.font, "B" if bold else "", size)
        self.document.multi_cell(0, 4.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.document.set_font(self.font, "", 9)

    def height(self, text: str, size: float = 9, *, bold: bool = False) -> float:
        """The height ``text`` would take, written with :meth:`text`."""
        self.document.set_font(self.font, "B" if bold else "", size)
        lines = self.document.multi_cell(0, 4.5, text, dry_run=True, output=MethodReturnValue.LINES)
        self.document.set_font(self.font, "", 9)
        assert isinstance(lines, list)
        return 4.5 * len(lines)

    def keep_together(self, height: float) -> None:
        """Start a new page unless ``height`` fits on this one."""
        if self.document.will_page_break(height):
            self.document.add_page()

    def table(self, headings: Sequence[str] | None, rows: Sequence[Sequence[str]]) -> None:
        self.document.set_font(self.font, "", 8.5)
        with self.document.table(
            line_height=5, text_align="LEFT", first_row_as_headings=headings is not None
        ) as table:
            if headings is not None:
                heading = table.row()
                for cell in headings:
                    heading.cell(cell)
            for values in rows:
                row = table.row()
                for cell in values:
                    row.cell(shortened(cell))
        self.document.set_font(self.font, "", 9)
        self.document.ln(2)

    def image(self, png: bytes | None, title: str | None, missing: str) -> None:
        if title is not None:
            self.title(title)
        if png is None:
            if missing:
                self.text(missing)
            return
        self.document.image(io.BytesIO(png), w=self.document.epw)


def _date(value: object) -> str:
    return "—" if value is None else str(value)


def heading(
    page: Page,
    record: CourseRecord,
    assessment: Assessment,
    knowledge: Knowledge,
    patient_name: str | None,
) -> None:
    patient = record.patient
    product = knowledge.products.products[record.course.product].name
    page.text("Isotretinoin course summary", size=15, bold=True)
    page.text(f"As of {assessment.as_of.isoformat()}")
    page.document.ln(2)
    age = age_on(patient.birth_date, assessment.as_of)
    rows = [
        ("Patient", patient_name or "—"),
        ("Patient id", patient.id),
        ("Born", f"{patient.birth_date.isoformat()} (age {age})"),
        ("Programme", _PROGRAMME.get(record.programme, record.programme)),
        (
            "Can get pregnant",
            {True: "yes", False: "no", None: "not recorded"}[patient.can_get_pregnant],
        ),
        ("Product", product),
    ]
    page.table(None, rows)


def course_figures(page: Page, record: CourseRecord, assessment: Assessment) -> None:
    page.title("Course figures")
    cumulative = assessment.cumulative
    dose = assessment.dose
    fraction = "—" if cumulative.fraction is None else f"{cumulative.fraction:.0%}"
    rows = [
        ("Course start", _date(record.course.start_date)),
        ("Days on treatment", str(cumulative.days_on_treatment)),
        ("Weight", "—" if assessment.weight_kg is None else f"{assessment.weight_kg:g} kg"),
        ("Daily dose", _dose_text(dose.mg_per_day, dose.mg_per_kg_per_day)),
        ("Cumulative dose", f"{cumulative.mg:g} mg"),
        ("Cumulative mg/kg", _mg_per_kg(cumulative.mg_per_kg)),
        ("Target", f"{cumulative.target_mg_per_kg:g} mg/kg ({fraction} reached)"),
        ("Projected completion", _date(cumulative.projected_completion)),
    ]
    page.table(("Figure", "Value"), rows)


def _dose_text(mg_per_day: float | None, mg_per_kg_per_day: float | None) -> str:
    if mg_per_day is None:
        return "—"
    per_kg = "" if mg_per_kg_per_day is None else f" ({mg_per_kg_per_day:g} mg/kg/day)"
    return f"{mg_per_day:g} mg/day{per_kg}"


def _mg_per_kg(value: float | None) -> str:
    return "— (no weight recorded)" if value is None else f"{value:g} mg/kg"


def dispense(page: Page, assessment: Assessment) -> None:
    page.title("Dispensing")
    decision = assessment.dispense
    if decision.allowed:
        closes = decision.window_closes
        until = f"; the window closes on {closes.isoformat()}" if closes is not None else ""
        page.text(f"A dispense is allowed on {assessment.as_of.isoformat()}{until}.")
        return
    page.text(
        "No prescription or dispense until these are resolved: " + ", ".join(decision.blocking),
        bold=True,
    )


def due(page: Page, assessment: Assessment) -> None:
    page.title("Tests and tasks due")
    if not assessment.due:
        page.text("Nothing due.")
        return
    rows = [
        (item.task.replace("_", " "), item.due.isoformat(), "OVERDUE" if item.overdue else "")
        for item in assessment.due
    ]
    page.table(("Task", "Due", ""), rows)


def alerts(page: Page, assessment: Assessment, knowledge: Knowledge) -> None:
    page.title(f"Alerts ({len(assessment.alerts)})")
    if not assessment.alerts:
        page.text("No alerts.")
    for alert in assessment.alerts:
        definition = knowledge.alerts.get(alert.code)
        title = definition.title if definition is not None else ""
        heading = f"{alert.severity.upper()}  {alert.code}  {title}"
        source = f"Source: {alert.source}"
        page.keep_together(
            page.height(heading, bold=True) + page.height(alert.message) + page.height(source, 7.5)
        )
        page.document.set_text_color(*_SEVERITY_COLOUR[alert.severity])
        page.text(heading, bold=True)
        page.document.set_text_color(0)
        page.text(alert.message)
        page.text(source, size=7.5)
        page.document.ln(1.5)


def lab_table(page: Page, series: LabSeries) -> None:
    page.title(f"Lab: {series.title}")
    rows = [(r.day.isoformat(), f"{r.value:g} {r.unit}", r.reference) for r in series.results]
    page.table(("Date", "Result", "Lab's range"), rows)


def pregnancy_tests(page: Page, record: CourseRecord) -> None:
    if not record.pregnancy_tests:
        return
    page.title("Pregnancy tests")
    rows = [
        (t.date.isoformat(), t.result, t.method, t.setting)
        for t in sorted(record.pregnancy_tests, key=lambda t: t.date)
    ]
    page.table(("Specimen date", "Result", "Method", "Setting"), rows)


def mood_screens(page: Page, record: CourseRecord) -> None:
    if not record.mood_screens:
        return
    page.title("Mood screens")
    rows = [
        (s.date.isoformat(), s.instrument.upper(), str(s.total), ", ".join(map(str, s.items)))
        for s in sorted(record.mood_screens, key=lambda s: s.date)
    ]
    page.table(("Date", "Instrument", "Total", "Items"), rows)
