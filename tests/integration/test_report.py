"""The course summary PDF renders and carries the figures; the charts agree with the rules."""

from __future__ import annotations

import functools
import io
import json
from datetime import date, timedelta

import pypdfium2  # type: ignore[import-untyped]
import pytest
from PIL import Image
from pypdf import PdfReader

from isocourse import words
from isocourse.knowledge.references import citations
from isocourse.record_parser import course_record_from_json
from isocourse.reports.charts import cumulative_chart_png, cumulative_series, lab_chart_png
from isocourse.reports.lab_series import lab_series
from isocourse.reports.pdf import DISCLAIMER, course_summary_pdf
from isocourse.rules import assess
from tests.builders import record_json
from tests.clinic_support import EXAMPLE
from tests.unit.fhir_support import KNOWLEDGE, Course, course_of, demo_courses

DEMO = demo_courses()


def pdf_of(course: Course, name: str | None = "Alex Example") -> bytes:
    return course_summary_pdf(course.record, course.assessment, KNOWLEDGE, name)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def inked_fraction(image: Image.Image) -> float:
    """The share of pixels that are not (near) white."""
    grey = image.convert("L")
    histogram = grey.histogram()
    return sum(histogram[:200]) / (grey.width * grey.height)


def first_page_image(pdf: bytes) -> Image.Image:
    document = pypdfium2.PdfDocument(pdf)
    try:
        image: Image.Image = document[0].render(scale=1).to_pil()
        return image
    finally:
        document.close()


def test_the_first_page_renders_to_an_image_that_is_not_blank() -> None:
    image = first_page_image(pdf_of(DEMO[0]))
    assert image.width > 500
    assert inked_fraction(image) > 0.02


def test_the_pdf_states_the_patients_figures_and_the_disclaimer() -> None:
    course = DEMO[0]
    text = text_of(pdf_of(course))
    cumulative = course.assessment.cumulative
    assert "Alex Example" in text
    assert course.record.patient.id in text
    assert f"Cumulative mg/kg {words.mg_per_kg(cumulative.mg_per_kg)} mg/kg" in text
    assert f"Cumulative dose {words.mg(cumulative.mg)} mg" in text
    assert f"Target {words.mg_per_kg(cumulative.target_mg_per_kg)} mg/kg" in text
    assert DISCLAIMER in text


@pytest.mark.parametrize("course", DEMO, ids=[c.record.patient.id for c in DEMO])
def test_every_demo_pdf_lists_its_alert_codes_and_due_tasks(course: Course) -> None:
    text = text_of(pdf_of(course, None))
    for alert in course.assessment.alerts:
        assert alert.code in text
    for item in course.assessment.due:
        assert item.due.isoformat() in text
    for code in course.assessment.dispense.blocking:
        assert code in text


def test_the_pdf_is_reproducible_from_the_same_record() -> None:
    assert pdf_of(DEMO[0]) == pdf_of(DEMO[0])


def test_a_record_without_weight_says_so_instead_of_a_chart() -> None:
    course = course_of(record_json(weights=[]))
    text = text_of(pdf_of(course))
    assert "no weight recorded" in text
    assert cumulative_chart_png(course.record, course.assessment, KNOWLEDGE) is None


def test_the_cumulative_series_ends_at_the_assessments_cumulative_mg_per_kg() -> None:
    course = DEMO[0]
    record = course.record
    assert record.course.start_date is not None
    series = cumulative_series(record, KNOWLEDGE, record.course.start_date, record.as_of)
    assert series[-1][0] == record.as_of
    assert round(series[-1][1], 2) == course.assessment.cumulative.mg_per_kg
    assert len(series) == (record.as_of - record.course.start_date).days + 1


def test_the_cumulative_series_never_falls_without_missed_doses() -> None:
    record = course_of(record_json()).record
    series = cumulative_series(record, KNOWLEDGE, date(2026, 1, 1), record.as_of)
    values = [value for _, value in series]
    assert values == sorted(values)
    assert values[0] == 0
    assert series[0][0] + timedelta(days=len(series) - 1) == record.as_of


def test_charts_are_png_images() -> None:
    course = DEMO[0]
    cumulative = cumulative_chart_png(course.record, course.assessment, KNOWLEDGE)
    assert cumulative is not None
    assert cumulative.startswith(b"\x89PNG")
    for series in lab_series(course.record, KNOWLEDGE):
        chart = lab_chart_png(series)
        assert chart is not None
        assert Image.open(io.BytesIO(chart)).size[0] > 500


def test_lab_series_convert_to_the_canonical_unit_and_carry_thresholds() -> None:
    labs = [
        {"date": "2026-01-05", "test": "triglycerides", "value": 2.0, "unit": "mmol/L"},
        {"date": "2026-02-05", "test": "alt", "value": 30, "unit": "U/L", "reference_high": 45},
    ]
    by_test = {
        s.test_name: s for s in lab_series(course_of(record_json(labs=labs)).record, KNOWLEDGE)
    }
    factor = KNOWLEDGE.labs.by_name("triglycerides").factor_for("mmol/L")
    assert factor is not None
    assert by_test["triglycerides"].points[0].value == pytest.approx(2.0 * factor)
    limits = KNOWLEDGE.labs.thresholds
    assert [(t.value, t.alert) for t in by_test["triglycerides"].thresholds] == [
        (limits["LAB_TG_HIGH"].limit, "LAB_TG_HIGH"),
        (limits["LAB_TG_SEVERE"].limit, "LAB_TG_SEVERE"),
    ]
    assert [(t.value, t.alert) for t in by_test["alt"].thresholds] == [
        (45, ""),
        (45 * (limits["LAB_ALT_HIGH"].uln_multiple or 0), "LAB_ALT_HIGH"),
        (45 * (limits["LAB_LIVER_SEVERE"].uln_multiple or 0), "LAB_LIVER_SEVERE"),
    ]
    assert by_test["alt"].results[0].reference == "up to 45 U/L"


# -- who recorded each entry, reviews, cancelled prescriptions ---------------------------------


@functools.cache
def _mixed_sources_text() -> str:
    """The summary of the same kinds of entry recorded by the clinic and by the patient
    (and a lab feed), as text."""
    return text_of(pdf_of(_mixed_sources_course()))


def _mixed_sources_course() -> Course:
    return course_of(
        record_json(
            weights=[
                {"date": "2026-01-10", "value": 62, "unit": "kg"},
                {"date": "2026-03-12", "value": 61.5, "unit": "kg", "source": "patient"},
            ],
            mood_screens=[
                {"date": "2026-03-10", "instrument": "phq9", "items": [0] * 9},
                {"date": "2026-03-12", "instrument": "phq9", "items": [0] * 9, "source": "patient"},
            ],
            pregnancy_tests=[
                {
                    "date": "2026-03-01",
                    "result": "negative",
                    "method": "urine",
                    "setting": "office",
                },
                {
                    "date": "2026-03-13",
                    "result": "negative",
                    "method": "urine",
                    "setting": "home",
                    "source": "patient",
                },
            ],
            labs=[
                {"date": "2026-01-05", "test": "alt", "value": 31, "unit": "U/L", "source": "lab"},
                {"date": "2026-02-05", "test": "alt", "value": 28, "unit": "U/L"},
            ],
            symptoms=[{"date": "2026-03-11", "text": "dry lips", "source": "patient"}],
            missed_doses=[{"date": "2026-03-02", "mg": 60, "source": "patient"}],
        )
    )


def _line_starting(text: str, start: str) -> str:
    (line,) = [line for line in text.splitlines() if line.startswith(start)]
    return line


@pytest.mark.parametrize(
    ("row", "by"),
    [
        ("2026-03-10 Tue PHQ-9 0", "clinician"),
        ("2026-03-12 Thu PHQ-9 0", "the patient"),
        ("2026-03-01 Sun negative urine office", "clinician"),
        ("2026-03-13 Fri negative urine home", "the patient"),
        ("2026-01-10 Sat 62 kg", "clinician"),
        ("2026-03-12 Thu 61.5 kg", "the patient"),
        ("2026-01-05 Mon 31 U/L", "lab feed"),
        ("2026-02-05 Thu 28 U/L", "clinician"),
        ("2026-03-11 Wed dry lips", "the patient"),
        ("2026-03-02 Mon 60 mg", "the patient"),
        ("2026-02-15 Sun — 60 mg/day", "clinician"),
    ],
)
def test_each_listed_entry_says_who_recorded_it(row: str, by: str) -> None:
    assert _line_starting(_mixed_sources_text(), row).endswith(f" {by}")


def test_the_reviews_are_listed_with_their_text_and_outcome() -> None:
    reviews = [
        {"date": "2026-03-12", "kind": "medication", "text": "Avidoxy 100", "outcome": "acted_on"},
        {
            "date": "2026-03-13",
            "kind": "symptom",
            "text": "wobbly knees",
            "outcome": "not_relevant",
        },
    ]
    text = text_of(pdf_of(course_of(record_json(reviews=reviews))))
    assert "Reviews of unrecognised entries" in text
    assert _line_starting(text, "2026-03-12 Thu medication") == (
        "2026-03-12 Thu medication Avidoxy 100 acted on clinician"
    )
    assert _line_starting(text, "2026-03-13 Fri symptom") == (
        "2026-03-13 Fri symptom wobbly knees not relevant clinician"
    )
    assert "Reviews of unrecognised entries" not in text_of(pdf_of(course_of(record_json())))


def test_a_cancelled_prescription_is_shown_as_cancelled() -> None:
    prescriptions = [
        {"date": "2026-02-14", "days_supply": 30, "mg_per_day": 60, "id": "rx-1"},
        {
            "date": "2026-03-14",
            "days_supply": 30,
            "mg_per_day": 60,
            "id": "rx-2",
            "cancelled": "2026-03-15",
        },
    ]
    dispenses = [{"date": "2026-02-15", "days_supply": 30, "prescription_id": "rx-1"}]
    course = course_of(record_json(prescriptions=prescriptions, dispenses=dispenses))
    text = " ".join(text_of(pdf_of(course)).split())  # a cell may wrap
    assert "2026-03-14 Sat rx-2 60 mg/day, 30 days CANCELLED 2026-03-15 Sun clinician" in text
    assert "2026-02-14 Sat rx-1 60 mg/day, 30 days dispensed clinician" in text


def test_a_lab_unit_of_any_length_still_renders_the_pdf() -> None:
    """A lab's unit is free text the record keeps whatever its length (a unit that does not
    fit its test is flagged, not refused); 100,000 characters of it once made a table row
    taller than a page and every later report of the patient a server error."""
    document = record_json()
    document["labs"] = [
        {"date": "2026-03-10", "test": "alt", "value": 25, "unit": "U/L" + "x" * 100_000}
    ]
    course = course_of(document)
    text = text_of(pdf_of(course))
    assert "Lab: " in text and "…" in text


def test_the_course_summary_pdf_shows_each_alerts_citations_and_links() -> None:
    knowledge = KNOWLEDGE
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    course = course_record_from_json(document, knowledge, today=date(2026, 12, 31))
    assessment = assess(course, knowledge, as_of=course.as_of)
    pdf = course_summary_pdf(course, assessment, knowledge, None)
    text = "".join(
        "".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )
    for alert in assessment.alerts:
        for cited in citations(knowledge.alerts[alert.code].source):
            reference = knowledge.references[cited.id]
            assert "".join(reference.citation.split()) in text, (alert.code, cited.id)
            if reference.url:
                assert reference.url in text, (alert.code, reference.url)
