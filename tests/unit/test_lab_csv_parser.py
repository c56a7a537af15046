"""CSV lab import: each row validated with its line number; all-or-nothing honoured."""

from __future__ import annotations

import contextlib
import io
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isocourse.lab_csv_parser import LabImportError, plan_lab_import
from isocourse.record import LabResult
from tests.unit.fhir_support import KNOWLEDGE

HEADER = "patient,date,test,value,unit,reference_low,reference_high\n"
PATIENTS = {"p-001", "p-002"}


def test_good_rows_are_accepted_with_test_names_resolved_from_loinc() -> None:
    report = plan_lab_import(
        HEADER
        + "p-001,2026-03-02,triglycerides,180,mg/dL,,150\n"
        + "p-002,2026-03-02,1742-6,31,U/L,,45\n",
        PATIENTS,
        KNOWLEDGE,
    )
    assert report.rejected == ()
    assert [(r.line, r.patient_id) for r in report.accepted] == [(2, "p-001"), (3, "p-002")]
    assert report.accepted[1].result == LabResult(
        date(2026, 3, 2), "alt", 31.0, "U/L", reference_low=None, reference_high=45.0
    )
    assert report.rows_to_write == report.accepted
    assert set(report.results_by_patient()) == {"p-001", "p-002"}


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("p-009,2026-03-02,alt,31,U/L,,", "unknown patient 'p-009'"),
        (",2026-03-02,alt,31,U/L,,", "patient is empty"),
        ("p-001,02/03/2026,alt,31,U/L,,", "bad date '02/03/2026'"),
        ("p-001,2026-02-30,alt,31,U/L,,", "no such day"),
        ("p-001,2026-03-02,bilirubin,31,U/L,,", "unknown test 'bilirubin'"),
        ("p-001,2026-03-02,alt,high,U/L,,", "non-numeric value 'high'"),
        ("p-001,2026-03-02,alt,31,5,U/L,,", "expected 7 fields, found 8"),
        ('p-001,2026-03-02,alt,"3,1",U/L,,', "use a point for decimals"),
        ("p-001,2026-03-02,alt,<5,U/L,,", "non-numeric value '<5'"),
        ("p-001,2026-03-02,alt,nan,U/L,,", "non-numeric value 'nan'"),
        ("p-001,2026-03-02,alt,1e999,U/L,,", "out of range"),
        ("p-001,2026-03-02,alt,-4,U/L,,", "out of range"),
        ("p-001,2026-03-02,alt,31,,,", "unit is empty"),
        ("p-001,2026-03-02,alt,31,mg/dL,,", "unit 'mg/dL' does not fit test 'alt'"),
        ("p-001,2026-03-02,alt,31,U/L,50,40", "reference_low 50 is above reference_high 40"),
        ("p-001,2026-03-02,alt,31,U/L,,forty", "non-numeric reference_high 'forty'"),
    ],
)
def test_a_bad_row_is_rejected_with_its_line_number_and_reason(row: str, reason: str) -> None:
    text = HEADER + "p-001,2026-03-01,alt,20,U/L,,\n" + row + "\n"
    report = plan_lab_import(text, PATIENTS, KNOWLEDGE)
    (rejected,) = report.rejected
    assert rejected.line == 3
    assert reason in rejected.reason


def test_all_or_nothing_writes_nothing_when_one_row_is_bad() -> None:
    text = HEADER + "p-001,2026-03-01,alt,20,U/L,,\np-001,2026-03-01,alt,x,U/L,,\n"
    strict = plan_lab_import(text, PATIENTS, KNOWLEDGE)
    assert len(strict.accepted) == 1
    assert strict.rows_to_write == ()
    assert strict.results_by_patient() == {}
    lenient = plan_lab_import(text, PATIENTS, KNOWLEDGE, all_or_nothing=False)
    assert lenient.rows_to_write == lenient.accepted


def test_a_repeated_row_is_rejected_as_a_duplicate_of_the_first() -> None:
    row = "p-001,2026-03-01,alt,20,U/L,,\n"
    report = plan_lab_import(HEADER + row + "\n" + row, PATIENTS, KNOWLEDGE)
    assert [(r.line, r.reason) for r in report.rejected] == [(4, "duplicate of line 2")]


def test_a_result_dated_after_today_is_rejected_when_today_is_given() -> None:
    text = HEADER + "p-001,2026-03-16,alt,20,U/L,,\n"
    assert plan_lab_import(text, PATIENTS, KNOWLEDGE).rejected == ()
    (rejected,) = plan_lab_import(text, PATIENTS, KNOWLEDGE, today=date(2026, 3, 15)).rejected
    assert "in the future" in rejected.reason


def test_columns_may_come_in_any_order_and_the_range_columns_are_optional() -> None:
    text = "\ufeffUnit, Value ,Test,Date,Patient\nU/L,20,ast,2026-03-01,p-002\n"
    (row,) = plan_lab_import(text, PATIENTS, KNOWLEDGE).accepted
    assert (row.patient_id, row.result.test, row.result.value) == ("p-002", "ast", 20.0)


def test_known_patients_may_be_a_callable() -> None:
    text = HEADER + "anyone,2026-03-01,alt,20,U/L,,\n"
    report = plan_lab_import(text, lambda patient: patient == "anyone", KNOWLEDGE)
    assert report.rejected == ()


def test_line_numbers_count_physical_lines_of_quoted_multiline_fields() -> None:
    text = HEADER + 'p-001,2026-03-01,"alt",20,U/L,,\n"p-\n001",2026-03-01,alt,20,U/L,,\n'
    report = plan_lab_import(text, PATIENTS, KNOWLEDGE)
    assert [r.line for r in report.rejected] == [4]


def test_a_stream_is_read_line_by_line_and_progress_is_reported() -> None:
    rows = "".join(f"p-001,2026-03-01,alt,{n},U/L,,\n" for n in range(1, 1201))
    calls: list[int] = []
    stream = io.StringIO(HEADER + rows)
    report = plan_lab_import(stream, PATIENTS, KNOWLEDGE, progress=calls.append)
    assert len(report.accepted) == 1200
    assert calls == [500, 1000, 1200]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("\n\n", "the file is empty"),
        ("patient,date,test,value\n", "missing column(s) unit"),
        ("patient,date,test,value,unit,comment\n", "unknown column(s) 'comment'"),
        ("patient,date,test,value,unit,unit\n", "named twice: unit"),
        (HEADER + 'p-001,"2026-03-01,alt,1,U/L,,\n', "line 2: unexpected end of data"),
        (HEADER + 'p-001,"2026"-03-01,alt,1,U/L,,\n', "line 2: ',' expected after '\"'"),
    ],
)
def test_a_file_that_is_not_this_csv_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(LabImportError, match=None) as error:
        plan_lab_import(text, PATIENTS, KNOWLEDGE)
    assert message in str(error.value)


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(list('ap-01,2026-03."\n\r\0 xU/LmgdLalt1742-6;')), max_size=200
    )
)
def test_the_parser_raises_nothing_but_its_own_error(text: str) -> None:
    try:
        report = plan_lab_import(HEADER + text, PATIENTS, KNOWLEDGE)
    except LabImportError:
        return
    lines = [row.line for row in report.accepted] + [row.line for row in report.rejected]
    assert all(line >= 2 for line in lines)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_any_text_at_all_is_planned_or_refused_with_a_lab_import_error(text: str) -> None:
    with contextlib.suppress(LabImportError):
        plan_lab_import(text, PATIENTS, KNOWLEDGE)
