"""The course summary PDF renders and carries the figures; the charts agree with the rules."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pypdfium2  # type: ignore[import-untyped]
import pytest
from PIL import Image
from pypdf import PdfReader

from isocourse.reports.charts import cumulative_chart_png, cumulative_series, lab_chart_png
from isocourse.reports.lab_series import lab_series
from isocourse.reports.pdf import DISCLAIMER, course_summary_pdf
from tests.builders import record_json
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
    assert f"{cumulative.mg_per_kg:g} mg/kg" in text
    assert f"{cumulative.mg:g} mg" in text
    assert f"{cumulative.target_mg_per_kg:g} mg/kg" in text
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
    assert [t.value for t in by_test["triglycerides"].thresholds] == [
        limits.tg_high_mg_per_dl.value,
        limits.tg_severe_mg_per_dl.value,
    ]
    assert [t.value for t in by_test["alt"].thresholds] == [
        45,
        45 * limits.liver_high_uln_multiple.value,
        45 * limits.liver_severe_uln_multiple.value,
    ]
    assert by_test["alt"].results[0].reference == "up to 45 U/L"


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
