"""The sections of the course summary PDF, each a small function writing onto a page.

Every table of entries has a *By* column: who recorded the entry (its ``source``:
``clinician``, ``patient``, ``lab`` or ``import``), so that a reader of the printed
summary can tell a patient's own report from the clinic's.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from isocourse.assessment import Assessment
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord, Symptom
from isocourse.reports.lab_series import LabSeries
from isocourse.rules.course_facts import age_on
from isocourse.rules.supply import PrescriptionState, prescription_states

_SEVERITY_COLOUR = {
    "stop": (183, 28, 28),
    "urgent": (191, 54, 12),
    "block": (198, 40, 40),
    "warning": (230, 81, 0),
    "info": (21, 101, 192),
}
#: the heading of the column that says who recorded each entry
BY = "By"
_OUTCOME = {"not_relevant": "not relevant", "acted_on": "acted on"}
_TITLE_MM = 9.0


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

    def table(
        self,
        headings: Sequence[str] | None,
        rows: Sequence[Sequence[str]],
        widths: Sequence[float] | None = None,
    ) -> None:
        """A table; ``widths`` are the columns' relative widths (default: all equal)."""
        self.document.set_font(self.font, "", 8.5)
        with self.document.table(
            line_height=5,
            text_align="LEFT",
            first_row_as_headings=headings is not None,
            col_widths=tuple(widths) if widths is not None else None,
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

    def titled_table(
        self,
        title: str,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float] | None = None,
    ) -> None:
        """A section's title and its table, the title never alone at the foot of a page:
        the title, the headings and the first row start on the same page."""
        first = rows[0] if rows else ()
        self.keep_together(
            _TITLE_MM + self._row_height(headings, widths) + self._row_height(first, widths)
        )
        self.title(title)
        self.table(headings, rows, widths)

    def _row_height(self, cells: Sequence[str], widths: Sequence[float] | None) -> float:
        """The height of one table row of ``cells`` (the tallest cell's wrapped lines)."""
        if not cells:
            return 0.0
        shares = list(widths) if widths is not None else [1.0] * len(cells)
        self.document.set_font(self.font, "", 8.5)
        tallest = 1
        for cell, share in zip(cells, shares, strict=True):
            width = self.document.epw * share / sum(shares) - 2 * self.document.c_margin
            lines = self.document.multi_cell(
                max(width, 1.0), 5, cell, dry_run=True, output=MethodReturnValue.LINES
            )
            assert isinstance(lines, list)
            tallest = max(tallest, len(lines))
        self.document.set_font(self.font, "", 9)
        return 5.0 * tallest + 2

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
        ("Programme", knowledge.programmes.title_of(record.programme)),
        ("Can get pregnant", _pregnancy_category(record, knowledge)),
        ("Product", product),
    ]
    page.table(None, rows)


def _pregnancy_category(record: CourseRecord, knowledge: Knowledge) -> str:
    """``yes (women of childbearing potential)``: the answer, in the programme's words."""
    answer = record.patient.can_get_pregnant
    text = {True: "yes", False: "no", None: "not recorded"}[answer]
    programme = knowledge.programmes.programmes.get(record.programme)
    if programme is None or answer is None:
        return text
    names = programme.categories
    return f"{text} ({names.can_get_pregnant if answer else names.cannot_get_pregnant})"


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
    rows = [
        (r.day.isoformat(), f"{r.value:g} {r.unit}", r.reference, r.source) for r in series.results
    ]
    page.table(("Date", "Result", "Lab's range", BY), rows, (3, 3, 3, 2))
    if series.rules:
        page.text("Alert thresholds: " + "; ".join(series.rules), size=8)


def pregnancy_tests(page: Page, record: CourseRecord) -> None:
    if not record.pregnancy_tests:
        return
    rows = [
        (t.date.isoformat(), t.result, t.method, t.setting, t.source)
        for t in sorted(record.pregnancy_tests, key=lambda t: t.date)
    ]
    page.titled_table("Pregnancy tests", ("Specimen date", "Result", "Method", "Setting", BY), rows)
    if any(t.source == "patient" for t in record.pregnancy_tests):
        page.text("A test the patient reported counts as a home test.", size=7.5)


def mood_screens(page: Page, record: CourseRecord) -> None:
    if not record.mood_screens:
        return
    rows = [
        (
            s.date.isoformat(),
            s.instrument.upper().replace("PHQ", "PHQ-"),
            str(s.total),
            ", ".join(map(str, s.items)),
            s.source,
        )
        for s in sorted(record.mood_screens, key=lambda s: s.date)
    ]
    page.titled_table(
        "Mood screens", ("Date", "Instrument", "Total", "Items", BY), rows, (3, 2.5, 1.5, 5, 2)
    )


def symptoms(page: Page, record: CourseRecord) -> None:
    if not record.symptoms:
        return
    rows = [
        (s.date.isoformat(), _symptom_text(s), s.source)
        for s in sorted(record.symptoms, key=lambda s: s.date)
    ]
    page.titled_table("Symptoms", ("Date", "Symptom", BY), rows, (2, 9, 2))


def _symptom_text(symptom: Symptom) -> str:
    named = (symptom.code or "").replace("_", " ")
    if symptom.text and named:
        return f"{symptom.text} ({named})"
    return symptom.text or named or "—"


def reviews(page: Page, record: CourseRecord) -> None:
    """A clinician's reviews of free text the program could not map."""
    if not record.reviews:
        return
    rows = [
        (r.date.isoformat(), r.kind, r.text, _OUTCOME.get(r.outcome, r.outcome), r.source)
        for r in sorted(record.reviews, key=lambda r: r.date)
    ]
    page.titled_table(
        "Reviews of unrecognised entries",
        ("Date", "Kind", "Text reviewed", "Outcome", BY),
        rows,
        (2, 2, 6, 2, 2),
    )


def medications(page: Page, record: CourseRecord) -> None:
    if not record.medications:
        return
    rows = [
        (m.name, m.start.isoformat(), _date(m.end), m.source)
        for m in sorted(record.medications, key=lambda m: m.start)
    ]
    page.titled_table("Other medications", ("Medication", "Start", "End", BY), rows, (6, 2, 2, 2))


def doses(page: Page, record: CourseRecord) -> None:
    if record.doses:
        periods = [
            (p.start.isoformat(), _date(p.end), f"{p.mg_per_day:g} mg/day", p.source)
            for p in sorted(record.doses, key=lambda p: p.start)
        ]
        page.titled_table("Dose periods", ("Start", "End", "Dose", BY), periods)
    if record.missed_doses:
        missed = [
            (m.date.isoformat(), f"{m.mg:g} mg", m.source)
            for m in sorted(record.missed_doses, key=lambda m: m.date)
        ]
        page.titled_table("Missed doses", ("Date", "Missed", BY), missed)


def weights(page: Page, record: CourseRecord) -> None:
    if not record.weights:
        return
    rows = [
        (w.date.isoformat(), f"{w.value:g} {w.unit}", w.source)
        for w in sorted(record.weights, key=lambda w: w.date)
    ]
    page.titled_table("Weights", ("Date", "Weight", BY), rows)


def prescriptions(
    page: Page, record: CourseRecord, assessment: Assessment, knowledge: Knowledge
) -> None:
    """Each written prescription and where it stands (issued, dispensed, cancelled ...)."""
    if not record.prescriptions:
        return
    rows = [
        (
            state.prescription.date.isoformat(),
            state.prescription.id or "—",
            _supply_text(state.prescription.mg_per_day, state.prescription.days_supply),
            _state_text(state),
            state.prescription.source,
        )
        for state in prescription_states(record, knowledge, assessment.as_of)
    ]
    # widths in mm of the 180 mm line: a full prescription id (a UUID) on one line
    page.titled_table(
        "Prescriptions written",
        ("Date", "Id", "Dose and supply", "Status", BY),
        rows,
        (20, 70, 33, 41, 16),
    )


def _supply_text(mg_per_day: float | None, days_supply: int) -> str:
    dose = "" if mg_per_day is None else f"{mg_per_day:g} mg/day, "
    return f"{dose}{days_supply} days"


def _state_text(state: PrescriptionState) -> str:
    until = _date(state.until)
    return {
        "open": f"issued until {until}",
        "dispensed": "dispensed",
        "cancelled": f"CANCELLED {until}",
        "lapsed": f"lapsed {until}",
    }[state.state]
