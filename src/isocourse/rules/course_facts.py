"""Facts derived from a course record that several rules share.

Definitions: a contraception or medication entry is "active on day D" when its start is
on or before D and it has no end or ends on or after D; the "first prescription" is the
proposed prescription when no dispense is recorded for the course; "in treatment" means
the course has started by ``as_of`` and its last dose period has not ended before it;
the "latest" lab or screen is the one with the latest date on or before ``as_of``.
Weights and ages follow the record format (docs/course-record.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol, TypeVar

from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord, Weight


class Dated(Protocol):
    @property
    def date(self) -> date: ...


class Spanning(Protocol):
    @property
    def start(self) -> date: ...

    @property
    def end(self) -> date | None: ...


D = TypeVar("D", bound=Dated)
S = TypeVar("S", bound=Spanning)


def age_on(birth_date: date, day: date) -> int:
    """Completed years on ``day``."""
    had_birthday = (day.month, day.day) >= (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (0 if had_birthday else 1)


def active_on(entry: Spanning, day: date) -> bool:
    return entry.start <= day and (entry.end is None or entry.end >= day)


def active_entries(entries: Iterable[S], day: date) -> list[S]:
    return [entry for entry in entries if active_on(entry, day)]


def on_or_before(entries: Iterable[D], day: date) -> list[D]:
    """Entries dated on or before ``day``, oldest first (stable for equal dates)."""
    return sorted((e for e in entries if e.date <= day), key=lambda e: e.date)


def latest(entries: Iterable[D], day: date) -> D | None:
    """The entry with the latest date on or before ``day`` (the last listed wins a tie)."""
    dated = on_or_before(entries, day)
    return dated[-1] if dated else None


def within_days_up_to(entries: Iterable[D], days: int, day: date) -> list[D]:
    """Entries dated in "the N days up to D": D-N+1 ... D."""
    return [e for e in entries if 0 <= (day - e.date).days < days]


def weight_in_kg(weight: Weight, knowledge: Knowledge) -> float:
    if weight.unit == "lb":
        return weight.value * knowledge.course.kg_per_lb.value
    return weight.value


def latest_weight(record: CourseRecord, as_of: date) -> Weight | None:
    """The latest weight on or before ``as_of``, else the earliest recorded."""
    if not record.weights:
        return None
    return latest(record.weights, as_of) or min(record.weights, key=lambda w: w.date)


def is_first_prescription(record: CourseRecord) -> bool:
    """The proposed prescription when no dispense is recorded for this course."""
    return record.proposed_prescription is not None and not record.dispenses


def prescription_day(record: CourseRecord, as_of: date) -> date:
    """The day a prescription is judged on: the proposed one's date, else ``as_of``."""
    proposed = record.proposed_prescription
    return proposed.date if proposed is not None else as_of


def last_dose_day(record: CourseRecord) -> date | None:
    """The last day of the last dose period, or None while it is open or absent."""
    if not record.doses:
        return None
    last = max(record.doses, key=lambda period: period.start)
    return last.end


def in_treatment(record: CourseRecord, as_of: date) -> bool:
    """Started on or before ``as_of`` and the last dose period has not ended before it."""
    start = record.course.start_date
    if start is None or as_of < start:
        return False
    end = last_dose_day(record)
    return end is None or end >= as_of
