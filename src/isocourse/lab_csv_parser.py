"""Plan a lab-result import from CSV: every row validated, each rejection with its line.

``plan_lab_import(source, known_patients, knowledge)`` reads the CSV line by line
(a string, an open text file or any iterable of lines) and returns a
:class:`LabImportReport` of accepted and rejected rows. It writes nothing: the store
writes ``report.rows_to_write`` in one transaction, which is empty when the import
is all-or-nothing and any row was rejected.

The CSV (UTF-8, a header row, comma-separated, any column order)::

    patient,date,test,value,unit,reference_low,reference_high
    p-001,2026-03-02,triglycerides,180,mg/dL,,150
    p-001,2026-03-02,1742-6,31,U/L,,45

``test`` is a lab short name (``alt``, ``triglycerides`` ...) or a LOINC code; ``unit``
must be one the lab knowledge knows for that test; ``reference_low``/``reference_high``
(optional columns, optional values) are the reporting lab's range in the same unit.

Errors: :class:`LabImportError` for a file that cannot be read as this CSV at all
(no header, a missing or unknown column, broken quoting). A bad row is never an
exception: it is a :class:`RejectedRow`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from isocourse.fhir.lab_terms import resolve_test, unit_fits
from isocourse.knowledge.model import Knowledge
from isocourse.record import EARLIEST_DAY, LATEST_DAY, LabResult

REQUIRED_COLUMNS = ("patient", "date", "test", "value", "unit")
OPTIONAL_COLUMNS = ("reference_low", "reference_high")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

KnownPatients = Container[str] | Callable[[str], bool]
Progress = Callable[[int], None]


class LabImportError(ValueError):
    """The file cannot be read as a lab-result CSV (the message says why and where)."""


class RowRejected(Exception):
    """Internal: one row's reason for rejection."""


@dataclass(frozen=True)
class AcceptedRow:
    line: int
    patient_id: str
    result: LabResult


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


@dataclass(frozen=True)
class LabImportReport:
    accepted: tuple[AcceptedRow, ...]
    rejected: tuple[RejectedRow, ...]
    all_or_nothing: bool

    @property
    def rows_to_write(self) -> tuple[AcceptedRow, ...]:
        """What the store may write: nothing at all if all-or-nothing and a row was rejected."""
        if self.all_or_nothing and self.rejected:
            return ()
        return self.accepted

    def results_by_patient(self) -> Mapping[str, tuple[LabResult, ...]]:
        grouped: dict[str, list[LabResult]] = {}
        for row in self.rows_to_write:
            grouped.setdefault(row.patient_id, []).append(row.result)
        return {patient: tuple(results) for patient, results in grouped.items()}


def plan_lab_import(
    source: str | Iterable[str],
    known_patients: KnownPatients,
    knowledge: Knowledge,
    *,
    all_or_nothing: bool = True,
    today: date | None = None,
    progress: Progress | None = None,
    progress_every: int = 500,
) -> LabImportReport:
    """Validate every row; ``today`` (when given) rejects results dated after it."""
    lines: Iterable[str] = io.StringIO(source, newline="") if isinstance(source, str) else source
    reader = csv.reader(lines, strict=True)
    is_known = known_patients if callable(known_patients) else known_patients.__contains__
    checker = _RowChecker(knowledge, is_known, today)
    accepted: list[AcceptedRow] = []
    rejected: list[RejectedRow] = []
    done = 0
    for line, row in _rows(reader):
        try:
            accepted.append(checker.check(line, row))
        except RowRejected as reason:
            rejected.append(RejectedRow(line, str(reason)))
        done += 1
        if progress is not None and done % progress_every == 0:
            progress(done)
    if progress is not None:
        progress(done)
    return LabImportReport(tuple(accepted), tuple(rejected), all_or_nothing)


def _rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: text}) for each non-blank data row."""
    try:
        header = _header(reader)
        for fields in reader:
            line = reader.line_num  # type: ignore[attr-defined]
            if not any(field.strip() for field in fields):
                continue
            if len(fields) != len(header):
                yield line, {"": f"expected {len(header)} fields, found {len(fields)}"}
                continue
            yield line, dict(zip(header, (f.strip() for f in fields), strict=True))
    except csv.Error as error:
        raise LabImportError(f"line {reader.line_num}: {error}") from None  # type: ignore[attr-defined]


def _header(reader: Iterator[list[str]]) -> list[str]:
    for fields in reader:
        if any(field.strip() for field in fields):
            names = [field.strip().lstrip("\ufeff").lower() for field in fields]
            _check_header(names)
            return names
    raise LabImportError("the file is empty: expected a header row " + ",".join(REQUIRED_COLUMNS))


def _check_header(names: list[str]) -> None:
    unknown = [n for n in names if n not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise LabImportError(f"line 1: unknown column(s) {', '.join(map(repr, unknown))}")
    missing = [n for n in REQUIRED_COLUMNS if n not in names]
    if missing:
        raise LabImportError(f"line 1: missing column(s) {', '.join(missing)}")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise LabImportError(f"line 1: column(s) named twice: {', '.join(duplicated)}")


class _RowChecker:
    def __init__(
        self, knowledge: Knowledge, is_known: Callable[[str], bool], today: date | None
    ) -> None:
        self.knowledge = knowledge
        self.is_known = is_known
        self.today = today
        self.first_line: dict[tuple[str, LabResult], int] = {}

    def check(self, line: int, row: dict[str, str]) -> AcceptedRow:
        if "" in row:
            raise RowRejected(row[""])
        patient_id = self._patient(row["patient"])
        result = LabResult(
            date=self._date(row["date"]),
            test=self._test(row["test"]),
            value=_number(row["value"], "value", required=True) or 0.0,
            unit=row["unit"],
            reference_low=_number(row.get("reference_low", ""), "reference_low"),
            reference_high=_number(row.get("reference_high", ""), "reference_high"),
        )
        self._check_result(result)
        key = (patient_id, result)
        if key in self.first_line:
            raise RowRejected(f"duplicate of line {self.first_line[key]}")
        self.first_line[key] = line
        return AcceptedRow(line, patient_id, result)

    def _patient(self, text: str) -> str:
        if not text:
            raise RowRejected("patient is empty")
        if not self.is_known(text):
            raise RowRejected(f"unknown patient {text!r}")
        return text

    def _date(self, text: str) -> date:
        if not _ISO_DATE.fullmatch(text):
            raise RowRejected(f"bad date {text!r} (expected YYYY-MM-DD)")
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise RowRejected(f"bad date {text!r} (no such day)") from None
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise RowRejected(
                f"date {text} is outside {EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()}"
            )
        if self.today is not None and day > self.today:
            raise RowRejected(f"date {text} is in the future")
        return day

    def _test(self, text: str) -> str:
        test_id = resolve_test(self.knowledge, text)
        if test_id is None:
            raise RowRejected(f"unknown test {text!r}")
        return test_id

    def _check_result(self, result: LabResult) -> None:
        if not result.unit:
            raise RowRejected("unit is empty")
        if not unit_fits(self.knowledge, result.test, result.unit):
            raise RowRejected(f"unit {result.unit!r} does not fit test {result.test!r}")
        low, high = result.reference_low, result.reference_high
        if low is not None and high is not None and low > high:
            raise RowRejected(f"reference_low {low:g} is above reference_high {high:g}")


def _number(text: str, column: str, *, required: bool = False) -> float | None:
    if not text:
        if required:
            raise RowRejected(f"{column} is empty")
        return None
    if not _NUMBER.fullmatch(text):
        hint = " (use a point for decimals)" if re.fullmatch(r"\d+,\d+", text) else ""
        raise RowRejected(f"non-numeric {column} {text!r}{hint}")
    value = float(text)
    if value < 0 or value == float("inf"):
        raise RowRejected(f"{column} {text} is out of range (a lab value is 0 or more)")
    return value
