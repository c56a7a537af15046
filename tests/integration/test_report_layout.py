"""The course summary's layout, read back from the PDF of every demo patient.

- every section title starts on the page of its first lines (no "Alerts" at the foot
  of page 1 with the stop alert on page 2): read by text extraction, page by page, and
  by rendering the pages to PNG (the first alert's heading is drawn in its severity's
  colour, below the title, on the title's page);
- the alerts that stop or block treatment come first;
- no text is justified (no word spacing stretched in the content streams);
- no table has a column nothing fills.
"""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

import pypdfium2  # type: ignore[import-untyped]
import pytest
from PIL import Image
from pypdf import PdfReader

from isocourse.reports.page import without_empty_columns
from isocourse.reports.pdf import DISCLAIMER, course_summary_pdf
from isocourse.reports.sections import SEVERITY_ORDER
from isocourse.words import Words, severity
from tests.builders import record_json
from tests.unit.fhir_support import KNOWLEDGE, Course, course_of, demo_courses

DEMO = demo_courses()
WORDS = Words(KNOWLEDGE)
#: the sections' titles, as the PDF writes them at the start of a line
TITLES = re.compile(
    r"^(Course figures|Dispensing|Alerts \(\d+\)|Cumulative dose|Tests and tasks due|Lab: .+|"
    r"Pregnancy tests|Mood screens|Symptoms|Reviews of unrecognised entries|"
    r"Other medications|Dose periods|Missed doses|Weights|Prescriptions written)$"
)
#: the colour a stop alert's heading is drawn in (reports/sections.py)
STOP_RED = (183, 28, 28)
#: a numeric adjustment between two strings of a TJ array: stretched (justified) spacing
STRETCHED = re.compile(rb"\)\s*-?\d+(?:\.\d+)?\s*\(")


@functools.cache
def pdf_of(index: int) -> bytes:
    course = DEMO[index]
    return course_summary_pdf(course.record, course.assessment, KNOWLEDGE, "Alex Example")


def page_lines(pdf: bytes) -> list[list[str]]:
    """Each page's lines of text, the footer (disclaimer, page number) left out."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        lines = [line.strip() for line in page.extract_text().splitlines() if line.strip()]
        pages.append([line for line in lines if line != DISCLAIMER and " · page " not in line])
    return pages


def _ids(course: Course) -> str:
    return course.record.patient.id


INDEXES = range(len(DEMO))


@pytest.mark.parametrize("index", INDEXES, ids=[_ids(c) for c in DEMO])
def test_no_title_is_the_last_line_of_a_page(index: int) -> None:
    pdf = pdf_of(index)
    images = [len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages]
    for number, lines in enumerate(page_lines(pdf), start=1):
        assert lines, f"page {number} is empty"
        last = lines[-1]
        # a chart's title may close a page's text only with its chart drawn under it
        if last in ("Cumulative dose",) and images[number - 1]:
            continue
        assert not TITLES.match(last), f"page {number} ends with the title {last!r}"


#: the demo courses with at least one alert (the others have no Alerts section)
WITH_ALERTS = [i for i in INDEXES if DEMO[i].assessment.alerts]


def test_most_demo_courses_have_alerts_to_lay_out() -> None:
    assert len(WITH_ALERTS) >= len(DEMO) // 2


@pytest.mark.parametrize("index", WITH_ALERTS, ids=[_ids(DEMO[i]) for i in WITH_ALERTS])
def test_the_alerts_title_and_the_first_alert_share_a_page_most_severe_first(index: int) -> None:
    course = DEMO[index]
    ordered = sorted(course.assessment.alerts, key=lambda a: SEVERITY_ORDER.index(a.severity))
    pages = page_lines(pdf_of(index))
    (where,) = [n for n, lines in enumerate(pages) if f"Alerts ({len(ordered)})" in lines]
    after = " ".join(pages[where]).split(f"Alerts ({len(ordered)})", 1)[1]
    assert after.lstrip().startswith(severity(ordered[0].severity))
    assert WORDS.alert(ordered[0].code) in after
    text = " ".join(" ".join(lines) for lines in pages)
    found = [text.index(f"Code {a.code}.") for a in ordered]
    assert found == sorted(found), "the alerts are not listed most severe first"


def test_stop_and_block_alerts_come_before_urgent_ones_and_warnings() -> None:
    course = course_of(
        record_json(
            labs=[
                {
                    "date": "2026-03-10",
                    "test": "alt",
                    "value": 400,
                    "unit": "U/L",
                    "reference_high": 40,
                }
            ],
            medications=[{"name": "doxycycline 100 mg", "start": "2026-03-01", "end": None}],
            mood_screens=[{"date": "2026-03-10", "instrument": "phq9", "items": [0] * 8 + [2]}],
        )
    )
    assert {"stop", "urgent", "block", "warning"} <= {a.severity for a in course.assessment.alerts}
    pdf = course_summary_pdf(course.record, course.assessment, KNOWLEDGE, None)
    text = " ".join(" ".join(lines) for lines in page_lines(pdf))
    order = [severity(name) for name in SEVERITY_ORDER]
    said = re.findall("(" + "|".join(order) + "): ", text.split("Alerts (", 1)[1])
    assert said[:3] == ["Stop", "Blocks prescribing", "Urgent"]
    assert said == sorted(said, key=order.index)


def _stop_index() -> int:
    return next(
        i for i, c in enumerate(DEMO) if any(a.severity == "stop" for a in c.assessment.alerts)
    )


def test_the_rendered_pages_draw_the_stop_alert_under_its_title(tmp_path: Path) -> None:
    """Rendered to PNG (into the test's own folder): on the page whose text holds the
    Alerts title, pixels of the stop alert's red lie below the title."""
    pdf = pdf_of(_stop_index())
    document = pypdfium2.PdfDocument(pdf)
    try:
        for number in range(len(document)):
            page = document[number]
            text = page.get_textpage()
            searcher = text.search("Alerts (")
            found = searcher.get_next()
            if found is None:
                continue
            bottom = text.get_charbox(found[0])[1]
            png = tmp_path / f"page-{number + 1}.png"
            page.render(scale=2).to_pil().save(png)
            image = Image.open(png).convert("RGB")
            height_pt = page.get_height()
            title_y = int((height_pt - bottom) * 2)  # the title's baseline, in pixels
            red_rows = [
                y
                for y in range(image.height)
                for x in range(0, image.width, 3)
                if _near(image.getpixel((x, y)), STOP_RED)
            ]
            assert red_rows, f"page {number + 1}: the stop alert is not drawn on the title's page"
            assert min(red_rows) > title_y, "the stop alert is drawn above its title"
            return
        pytest.fail("no page holds the Alerts title")
    finally:
        document.close()


def _near(pixel: object, colour: tuple[int, int, int]) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(int(p) - c) <= 12 for p, c in zip(pixel[:3], colour, strict=True))


@pytest.mark.parametrize("index", INDEXES, ids=[_ids(c) for c in DEMO])
def test_no_text_is_justified(index: int) -> None:
    for page in PdfReader(io.BytesIO(pdf_of(index))).pages:
        assert not STRETCHED.search(page.get_contents().get_data())


def test_the_justification_check_would_see_justified_text() -> None:
    from fpdf import FPDF

    from isocourse.reports.pdf import _FONT_DIR

    document = FPDF()
    document.add_font("DejaVu", "", str(_FONT_DIR / "DejaVuSans.ttf"))
    document.add_page()
    document.set_font("DejaVu", "", 9)
    document.multi_cell(0, 4.5, "word " * 60, align="J")
    page = PdfReader(io.BytesIO(bytes(document.output()))).pages[0]
    assert STRETCHED.search(page.get_contents().get_data())


def test_a_column_nothing_fills_is_left_out() -> None:
    headings, rows, widths = without_empty_columns(
        ("Task", "Due", ""), [("Weight check", "2026-12-04 Fri", ""), ("Labs", "x", " ")], (3, 2, 1)
    )
    assert headings == ["Task", "Due"]
    assert rows == [["Weight check", "2026-12-04 Fri"], ["Labs", "x"]]
    assert widths == [3, 2]
    kept, _, _ = without_empty_columns(("A", "B"), [("1", ""), ("", "2")])
    assert kept == ["A", "B"]


@pytest.mark.parametrize("index", INDEXES, ids=[_ids(c) for c in DEMO])
def test_the_tasks_due_have_a_task_and_a_date_column_only(index: int) -> None:
    pages = page_lines(pdf_of(index))
    lines = [line for page in pages for line in page]
    if not DEMO[index].assessment.due:
        assert "Nothing due." in lines
        return
    assert lines[lines.index("Tests and tasks due") + 1] == "Task Due"
