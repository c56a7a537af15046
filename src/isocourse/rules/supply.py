"""One supply at a time: an open prescription, and capsules still in hand (rules under
every programme, ``none`` included).

Decisions:

- A prescription is *the proposed one itself* when its ``id`` is the proposed one's, or,
  where the proposed one has no id, when it is the first entry with the same date, daily
  dose and supply.
- A dispense fills the prescription its ``prescription_id`` names; a dispense without
  one fills the latest prescription written on or before it that nothing else filled.
- A prescription *could still be dispensed on* ``as_of`` until its dispense window
  closes: the window of the rule set in force on its date, judged as if it were the
  proposed one. Where no window applies (programme ``none``, a rule set without a
  window for the patient's category, or no qualifying test yet) it stays open for
  ``open_prescription_days`` from its date: failing closed, a prescriber cancels it
  rather than the program guessing it has lapsed.
- ``SUPPLY_IN_HAND`` judges a proposed prescription only: a course in the middle of its
  supply is not blocked on every other day.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from isocourse.assessment import Alert, Findings
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord, Dispense, Prescription
from isocourse.rules.alerting import raise_alert
from isocourse.rules.programme_case import ProgrammeCase
from isocourse.rules.programme_ruleset import ruleset_for
from isocourse.rules.programme_tests import window_closes


def assess_supply(record: CourseRecord, knowledge: Knowledge, as_of: date) -> Findings:
    alerts = [*_open_prescription(record, knowledge, as_of), *_supply_in_hand(record, knowledge)]
    return Findings(alerts=tuple(alerts))


def open_prescriptions(
    record: CourseRecord, knowledge: Knowledge, as_of: date
) -> list[Prescription]:
    """The course's prescriptions, other than the proposed one, that have been neither
    dispensed nor cancelled and could still be dispensed on ``as_of``, oldest first."""
    filled = filled_prescriptions(record)
    found = []
    for index, prescription in enumerate(record.prescriptions):
        if index in filled or _is_proposed(record, index):
            continue
        if prescription.cancelled is not None and prescription.cancelled <= as_of:
            continue
        if as_of <= last_dispensable_day(record, knowledge, prescription, as_of):
            found.append(prescription)
    return sorted(found, key=lambda p: p.date)


def filled_prescriptions(record: CourseRecord) -> set[int]:
    """The indices of ``record.prescriptions`` that a dispense filled."""
    index_by_id = {p.id: i for i, p in enumerate(record.prescriptions) if p.id is not None}
    filled = {
        index_by_id[d.prescription_id]
        for d in record.dispenses
        if d.prescription_id is not None and d.prescription_id in index_by_id
    }
    for dispense in sorted(record.dispenses, key=lambda d: d.date):
        if dispense.prescription_id is not None:
            continue
        candidates = [
            i
            for i, p in enumerate(record.prescriptions)
            if i not in filled and p.date <= dispense.date
        ]
        if candidates:
            filled.add(max(candidates, key=lambda i: (record.prescriptions[i].date, i)))
    return filled


def _is_proposed(record: CourseRecord, index: int) -> bool:
    proposed = record.proposed_prescription
    if proposed is None:
        return False
    if proposed.id is not None:
        return record.prescriptions[index].id == proposed.id
    same = [
        i
        for i, p in enumerate(record.prescriptions)
        if (p.date, p.mg_per_day, p.days_supply)
        == (proposed.date, proposed.mg_per_day, proposed.days_supply)
    ]
    return bool(same) and same[0] == index


def last_dispensable_day(
    record: CourseRecord, knowledge: Knowledge, prescription: Prescription, as_of: date
) -> date:
    """The last day ``prescription`` could be dispensed (see the module's decisions)."""
    judged = dataclasses.replace(record, proposed_prescription=prescription)
    ruleset = ruleset_for(judged, knowledge, as_of)
    if ruleset is not None:
        closes = window_closes(ProgrammeCase(judged, knowledge, as_of, ruleset))
        if closes is not None:
            return closes
    days = int(knowledge.course.open_prescription_days.value)
    return prescription.date + timedelta(days=days - 1)


def _open_prescription(record: CourseRecord, knowledge: Knowledge, as_of: date) -> list[Alert]:
    found = open_prescriptions(record, knowledge, as_of)
    if not found:
        return []
    return [
        raise_alert(
            knowledge,
            "PRESCRIPTION_OPEN",
            prescriptions="; ".join(_described(p) for p in found),
            as_of=as_of.isoformat(),
        )
    ]


def _described(prescription: Prescription) -> str:
    dose = f", {prescription.mg_per_day:g} mg a day" if prescription.mg_per_day else ""
    named = f" (id {prescription.id})" if prescription.id else ""
    return f"{prescription.date.isoformat()}{named}: {prescription.days_supply} days{dose}"


def last_supply(record: CourseRecord, day: date, *, besides: str | None = None) -> Dispense | None:
    """The latest dispense on or before ``day`` (other than one of prescription ``besides``)."""
    before = [
        d
        for d in record.dispenses
        if d.date <= day and (besides is None or d.prescription_id != besides)
    ]
    return max(before, key=lambda d: d.date) if before else None


def _supply_in_hand(record: CourseRecord, knowledge: Knowledge) -> list[Alert]:
    """The proposed prescription against the last supply handed over by ``as_of`` (or by
    its own date, if later)."""
    proposed = record.proposed_prescription
    if proposed is None:
        return []
    dispensed = last_supply(record, max(proposed.date, record.as_of), besides=proposed.id)
    if dispensed is None:
        return []
    ends = dispensed.date + timedelta(days=dispensed.days_supply)
    days = int(knowledge.course.supply_in_hand_days.value)
    if (ends - proposed.date).days <= days:
        return []
    return [
        raise_alert(
            knowledge,
            "SUPPLY_IN_HAND",
            dispensed=dispensed.date.isoformat(),
            days_supply=dispensed.days_supply,
            supply_ends=ends.isoformat(),
            prescription_date=proposed.date.isoformat(),
            days=days,
        )
    ]


@dataclass(frozen=True)
class PrescriptionState:
    """Where one written prescription stands on a day, in a pharmacist's words."""

    prescription: Prescription
    state: Literal["open", "dispensed", "cancelled", "lapsed"]
    #: open: the last day it may be dispensed; cancelled: the day it was cancelled
    until: date | None


def prescription_states(
    record: CourseRecord, knowledge: Knowledge, as_of: date
) -> list[PrescriptionState]:
    """Every written prescription of the course and where it stands, newest first."""
    filled = filled_prescriptions(record)
    states = []
    for index, prescription in enumerate(record.prescriptions):
        if index in filled:
            states.append(PrescriptionState(prescription, "dispensed", None))
        elif prescription.cancelled is not None and prescription.cancelled <= as_of:
            states.append(PrescriptionState(prescription, "cancelled", prescription.cancelled))
        else:
            last = last_dispensable_day(record, knowledge, prescription, as_of)
            state: Literal["open", "lapsed"] = "open" if as_of <= last else "lapsed"
            states.append(PrescriptionState(prescription, state, last))
    return sorted(states, key=lambda s: s.prescription.date, reverse=True)
