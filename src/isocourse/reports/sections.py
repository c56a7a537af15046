"""The sections of the course summary PDF, each a small function writing onto a page.

Every table of entries has a *By* column: who recorded the entry (its ``source``, in
words: the clinician, the patient, a lab feed, imported), so that a reader of the
printed summary can tell a patient's own report from the clinic's. Codes, numbers and
dates are said as on the pages (:mod:`isocourse.words`): dates ISO with the weekday,
mg/kg with one decimal, mg whole, alerts by their titles with the code beside them.
"""

from __future__ import annotations

from isocourse.assessment import Alert, Assessment
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord, Symptom
from isocourse.reports.lab_series import LabSeries
from isocourse.reports.page import Page
from isocourse.rules.course_facts import age_on
from isocourse.rules.supply import PrescriptionState, prescription_states
from isocourse.words import (
    kg,
    mg,
    mg_per_kg,
    mg_per_kg_per_day,
    plain,
    severity,
    source,
    staff_date,
    task,
)

_SEVERITY_COLOUR = {
    "stop": (183, 28, 28),
    "urgent": (191, 54, 12),
    "block": (198, 40, 40),
    "warning": (230, 81, 0),
    "info": (21, 101, 192),
}
#: the order the alerts are listed in: what stops or blocks treatment first
SEVERITY_ORDER = ("stop", "block", "urgent", "warning", "info")
#: the heading of the column that says who recorded each entry
BY = "By"


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
    page.text(f"As of {staff_date(assessment.as_of)}")
    page.document.ln(2)
    age = age_on(patient.birth_date, assessment.as_of)
    rows = [
        ("Patient", patient_name or "—"),
        ("Patient id", patient.id),
        ("Born", f"{staff_date(patient.birth_date)} (age {age})"),
        ("Programme", page.words.programme(record.programme)),
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
    cumulative = assessment.cumulative
    dose = assessment.dose
    fraction = "—" if cumulative.fraction is None else f"{cumulative.fraction:.0%}"
    projected = cumulative.projected_completion
    rows = [
        ("Course start", staff_date(record.course.start_date)),
        ("Days on treatment", str(cumulative.days_on_treatment)),
        ("Weight", "—" if assessment.weight_kg is None else f"{kg(assessment.weight_kg)} kg"),
        ("Daily dose", _dose_text(dose.mg_per_day, dose.mg_per_kg_per_day)),
        ("Cumulative dose", f"{mg(cumulative.mg)} mg"),
        ("Cumulative mg/kg", _mg_per_kg(cumulative.mg_per_kg)),
        ("Target", f"{mg_per_kg(cumulative.target_mg_per_kg)} mg/kg ({fraction} reached)"),
        ("Projected completion", "unknown" if projected is None else staff_date(projected)),
    ]
    page.titled_table("Course figures", ("Figure", "Value"), rows)


def _dose_text(mg_per_day: float | None, per_kg_day: float | None) -> str:
    if mg_per_day is None:
        return "—"
    per_kg = "" if per_kg_day is None else f" ({mg_per_kg_per_day(per_kg_day)} mg/kg/day)"
    return f"{mg(mg_per_day)} mg/day{per_kg}"


def _mg_per_kg(value: float | None) -> str:
    return "— (no weight recorded)" if value is None else f"{mg_per_kg(value)} mg/kg"


def dispense(page: Page, assessment: Assessment) -> None:
    decision = assessment.dispense
    if decision.allowed:
        closes = decision.window_closes
        until = f"; the window closes on {staff_date(closes)}" if closes is not None else ""
        said = f"A dispense is allowed on {staff_date(assessment.as_of)}{until}."
        page.title("Dispensing", page.height(said))
        page.text(said)
        return
    reasons = ", ".join(f"{page.words.alert(code)} ({code})" for code in decision.blocking)
    said = f"No prescription or dispense until these are resolved: {reasons}."
    page.title("Dispensing", page.height(said, bold=True))
    page.text(said, bold=True)


def due(page: Page, assessment: Assessment) -> None:
    if not assessment.due:
        page.title("Tests and tasks due", page.height("Nothing due."))
        page.text("Nothing due.")
        return
    rows = [
        (
            task(item.task).capitalize(),
            staff_date(item.due) + (" (overdue)" if item.overdue else ""),
        )
        for item in assessment.due
    ]
    page.titled_table("Tests and tasks due", ("Task", "Due"), rows, (3, 2))


def alerts(page: Page, assessment: Assessment) -> None:
    """The alerts, what stops or blocks treatment first, each with its source; the
    title on the page of the first one."""
    ordered = sorted(assessment.alerts, key=lambda a: SEVERITY_ORDER.index(a.severity))
    title = f"Alerts ({len(ordered)})"
    if not ordered:
        page.title(title, page.height("No alerts."))
        page.text("No alerts.")
        return
    page.title(title, _alert_height(page, ordered[0]))
    for alert in ordered:
        page.keep_together(_alert_height(page, alert))
        page.document.set_text_color(*_SEVERITY_COLOUR[alert.severity])
        page.text(_alert_heading(page, alert), bold=True)
        page.document.set_text_color(0)
        page.text(alert.message)
        page.text(_alert_source(alert), size=7.5)
        page.document.ln(1.5)


def _alert_heading(page: Page, alert: Alert) -> str:
    return f"{severity(alert.severity)}: {page.words.alert(alert.code)}"


def _alert_source(alert: Alert) -> str:
    return f"Code {alert.code}. Source: {alert.source}"


def _alert_height(page: Page, alert: Alert) -> float:
    return (
        page.height(_alert_heading(page, alert), bold=True)
        + page.height(alert.message)
        + page.height(_alert_source(alert), 7.5)
    )


def lab_table(page: Page, series: LabSeries) -> None:
    rows = [
        (staff_date(r.day), f"{r.value:g} {r.unit}", r.reference, source(r.source))
        for r in series.results
    ]
    headings = ("Date", "Result", "Lab's range", BY)
    page.titled_table(f"Lab: {series.title}", headings, rows, (3, 3, 3, 2))
    if series.rules:
        page.text("Alert thresholds: " + "; ".join(series.rules), size=8)


def pregnancy_tests(page: Page, record: CourseRecord) -> None:
    if not record.pregnancy_tests:
        return
    rows = [
        (staff_date(t.date), t.result, t.method, t.setting, source(t.source))
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
            staff_date(s.date),
            plain(s.instrument),
            str(s.total),
            ", ".join(map(str, s.items)),
            source(s.source),
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
        (staff_date(s.date), _symptom_text(s), source(s.source))
        for s in sorted(record.symptoms, key=lambda s: s.date)
    ]
    page.titled_table("Symptoms", ("Date", "Symptom", BY), rows, (2.5, 8.5, 2))


def _symptom_text(symptom: Symptom) -> str:
    named = plain(symptom.code or "")
    if symptom.text and named:
        return f"{symptom.text} ({named})"
    return symptom.text or named or "—"


def reviews(page: Page, record: CourseRecord) -> None:
    """A clinician's reviews of free text the program could not map."""
    if not record.reviews:
        return
    rows = [
        (staff_date(r.date), r.kind, r.text, plain(r.outcome), source(r.source))
        for r in sorted(record.reviews, key=lambda r: r.date)
    ]
    page.titled_table(
        "Reviews of unrecognised entries",
        ("Date", "Kind", "Text reviewed", "Outcome", BY),
        rows,
        (2.5, 2, 5.5, 2, 2),
    )


def medications(page: Page, record: CourseRecord) -> None:
    if not record.medications:
        return
    rows = [
        (m.name, staff_date(m.start), staff_date(m.end), source(m.source))
        for m in sorted(record.medications, key=lambda m: m.start)
    ]
    headings = ("Medication", "Start", "End", BY)
    page.titled_table("Other medications", headings, rows, (6, 2.5, 2.5, 2))


def doses(page: Page, record: CourseRecord) -> None:
    if record.doses:
        periods = [
            (staff_date(p.start), staff_date(p.end), f"{mg(p.mg_per_day)} mg/day", source(p.source))
            for p in sorted(record.doses, key=lambda p: p.start)
        ]
        page.titled_table("Dose periods", ("Start", "End", "Dose", BY), periods)
    if record.missed_doses:
        missed = [
            (staff_date(m.date), f"{mg(m.mg)} mg", source(m.source))
            for m in sorted(record.missed_doses, key=lambda m: m.date)
        ]
        page.titled_table("Missed doses", ("Date", "Missed", BY), missed)


def weights(page: Page, record: CourseRecord) -> None:
    if not record.weights:
        return
    rows = [
        (staff_date(w.date), f"{kg(w.value)} {w.unit}", source(w.source))
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
            staff_date(state.prescription.date),
            state.prescription.id or "—",
            _supply_text(state.prescription.mg_per_day, state.prescription.days_supply),
            _state_text(state),
            source(state.prescription.source),
        )
        for state in prescription_states(record, knowledge, assessment.as_of)
    ]
    # widths in mm of the 180 mm line: a date with its weekday and a full prescription
    # id (a UUID) each on one line
    page.titled_table(
        "Prescriptions written",
        ("Date", "Id", "Dose and supply", "Status", BY),
        rows,
        (26, 65, 32, 38, 19),
    )


def _supply_text(mg_per_day: float | None, days_supply: int) -> str:
    dose = "" if mg_per_day is None else f"{mg(mg_per_day)} mg/day, "
    return f"{dose}{days_supply} days"


def _state_text(state: PrescriptionState) -> str:
    until = staff_date(state.until)
    return {
        "open": f"issued until {until}",
        "dispensed": "dispensed",
        "cancelled": f"CANCELLED {until}",
        "lapsed": f"lapsed {until}",
    }[state.state]
