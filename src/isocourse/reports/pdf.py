"""The course summary a clinician files: one PDF per patient and day.

``course_summary_pdf(record, assessment, knowledge, patient_name)`` returns the PDF's
bytes: the patient and course figures, the dispense decision, the alerts with their
sources (what stops or blocks treatment first), the cumulative-dose chart, the tests
due, the results (labs with their charts, pregnancy tests, mood screens), the
symptoms, the clinician's reviews, other medications, doses, weights and prescriptions
written, each entry with who recorded it, and, on every page, the clinical disclaimer.
Every title starts on the page of its first lines; no text is justified; no table has
a column nothing fills.
Pure and reproducible: the document is dated by the assessment, not by the clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from isocourse.assessment import Assessment
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord
from isocourse.reports import sections
from isocourse.reports.charts import cumulative_chart_png, lab_chart_png
from isocourse.reports.lab_series import lab_series
from isocourse.reports.page import Page
from isocourse.words import Words, patient_label, staff_date

DISCLAIMER = "isocourse supports a clinician's decision; it does not replace it."
# DejaVu ships with matplotlib, so the report has the same glyphs (≥, –, µ) everywhere.
_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"


class _SummaryDocument(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        self.add_font(FONT, "", str(_FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(_FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=20)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FONT, "", 7)
        self.set_text_color(90)
        self.cell(0, 4, DISCLAIMER, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="C")
        self.cell(0, 4, f"{self.footer_text} · page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)


def course_summary_pdf(
    record: CourseRecord,
    assessment: Assessment,
    knowledge: Knowledge,
    patient_name: str | None,
) -> bytes:
    label = patient_label(patient_name, record.patient.id)
    footer = f"Course summary for {label}, as of {staff_date(assessment.as_of)}"
    document = _SummaryDocument(footer)
    document.set_title(f"Isotretinoin course summary: {record.patient.id}")
    document.set_author("isocourse")
    document.set_creation_date(datetime.combine(assessment.as_of, time(), tzinfo=UTC))
    document.add_page()
    page = Page(document, FONT, Words(knowledge))
    sections.heading(page, record, assessment, knowledge, patient_name)
    sections.course_figures(page, record, assessment)
    sections.dispense(page, assessment)
    sections.alerts(page, assessment)
    chart = cumulative_chart_png(record, assessment, knowledge)
    page.image(
        chart, "Cumulative dose", "No cumulative mg/kg: no dose period or no weight recorded."
    )
    sections.due(page, assessment)
    for series in lab_series(record, knowledge):
        sections.lab_table(page, series)
        page.image(lab_chart_png(series), None, "")
    sections.pregnancy_tests(page, record)
    sections.mood_screens(page, record)
    sections.symptoms(page, record)
    sections.reviews(page, record)
    sections.medications(page, record)
    sections.doses(page, record)
    sections.weights(page, record)
    sections.prescriptions(page, record, assessment, knowledge)
    return bytes(document.output())
