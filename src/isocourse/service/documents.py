"""A patient's course as documents: the summary PDF, the iCalendar feed and the charts.

The same authorisation as reading the record (prescribers of the clinic; a patient
their own record only), and each read is audited.
"""

from __future__ import annotations

from datetime import date

from isocourse.course_ics import course_calendar
from isocourse.reports.charts import cumulative_chart_png, lab_chart_png
from isocourse.reports.lab_series import lab_series
from isocourse.reports.pdf import course_summary_pdf
from isocourse.rules import assess
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.patients import audited_named_record, audited_record


def read_report_pdf(
    system: ClinicSystem, call: Call, patient_id: str, as_of: date | None = None
) -> bytes:
    """The course summary a clinician files (PDF), as of ``as_of`` (default today)."""
    require_role(call.actor, "prescriber", "patient")
    day = as_of or call.today
    record, name = audited_named_record(
        system, call, patient_id, day, "report.read", detail=day.isoformat()
    )
    assessment = assess(record, system.knowledge, as_of=day)
    return course_summary_pdf(record, assessment, system.knowledge, name)


def read_calendar(system: ClinicSystem, call: Call, patient_id: str) -> bytes:
    """The patient's iCalendar feed as of today, labelled with the clinic's patient number."""
    require_role(call.actor, "prescriber", "patient")
    record = audited_record(system, call, patient_id, call.today, "calendar.read")
    assessment = assess(record, system.knowledge, as_of=call.today)
    return course_calendar(record, assessment, system.knowledge, patient_label=record.patient.id)


def read_cumulative_chart(system: ClinicSystem, call: Call, patient_id: str) -> bytes | None:
    """The cumulative mg/kg chart as of today (PNG), or None when there is nothing to draw."""
    require_role(call.actor, "prescriber", "patient")
    record = audited_record(
        system, call, patient_id, call.today, "chart.read", detail="cumulative"
    )
    assessment = assess(record, system.knowledge, as_of=call.today)
    return cumulative_chart_png(record, assessment, system.knowledge)


def read_lab_chart(system: ClinicSystem, call: Call, patient_id: str, test: str) -> bytes | None:
    """The chart of one lab test's results (PNG), or None when the record has no such
    series or nothing to draw."""
    require_role(call.actor, "prescriber", "patient")
    record = audited_record(
        system, call, patient_id, call.today, "chart.read", detail=f"lab {test[:64]}"
    )
    for series in lab_series(record, system.knowledge):
        if series.test_name == test:
            return lab_chart_png(series)
    return None
