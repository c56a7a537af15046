"""What a pharmacist needs at the counter: finding a patient's prescription by name and
birth date, and, for a prescription, what to hand over.

The search looks in the pharmacist's own clinic only, and needs the birth date: a name
alone finds nobody. Every patient it shows is a read of their record (audited), and so
is a search that finds no one (``pharmacy.search``). The counter check is the
verification (:func:`~isocourse.service.dispensing.verify_prescription`, audited as
``prescription.verify``) with the patient's name, the product and the capsules it takes.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

from isocourse.errors import InvalidInput
from isocourse.knowledge.model import Knowledge
from isocourse.record import EARLIEST_DAY, LATEST_DAY, CourseRecord
from isocourse.rules.capsule_plan import daily_doses
from isocourse.rules.supply import prescription_states
from isocourse.service.audit import AuditRequest
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.dispensing import Verification, check_for_verification
from isocourse.service.enrolment import NAME_MAX
from isocourse.service.patients import folded_document, record_from_document
from isocourse.store.patient_index import PatientListing, clinic_listing, patient_name

#: at most this many patients are shown for one search (a name and a birth date rarely
#: match more; a search that matches many is too vague to show)
MOST_FOUND: Final = 10
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class FoundPrescription:
    """One written prescription and where it stands today."""

    prescription_id: str
    written: date
    mg_per_day: float | None
    days_supply: int
    state: Literal["open", "dispensed", "cancelled", "lapsed"]
    #: open: the last day it may be dispensed; cancelled: the day it was cancelled
    until: date | None


@dataclass(frozen=True)
class FoundPatient:
    name: str | None
    record_id: str
    birth_date: date
    #: newest first
    prescriptions: tuple[FoundPrescription, ...]


@dataclass(frozen=True)
class CapsuleCount:
    """Capsules of one strength: how many a day (morning and evening) and for the supply."""

    strength_mg: float
    morning: int
    evening: int
    days_supply: int

    @property
    def per_day(self) -> int:
        return self.morning + self.evening

    @property
    def for_supply(self) -> int:
        return self.per_day * self.days_supply


@dataclass(frozen=True)
class CounterCheck:
    """The verification, and what the pharmacist hands over if it is allowed."""

    verification: Verification
    patient_name: str | None
    record_id: str
    product_name: str
    mg_per_day: float | None
    days_supply: int
    #: empty when the product's capsules cannot make the daily dose
    capsules: tuple[CapsuleCount, ...]
    #: the last day it may be dispensed: the programme's window, else the days a
    #: prescription stays open (None once dispensed or cancelled)
    last_day: date | None


def find_patients(
    system: ClinicSystem, call: Call, name: str, birth_date: date
) -> list[FoundPatient]:
    """The pharmacist's clinic's patients born on ``birth_date`` whose name (or record
    id) ``name`` gives: each word of it begins a word of the patient's name."""
    require_role(call.actor, "pharmacist")
    wanted = _words(name)
    if not wanted or len(name) > NAME_MAX:
        raise InvalidInput("name", f"the patient's name, 1 to {NAME_MAX} characters")
    if not EARLIEST_DAY <= birth_date <= LATEST_DAY:
        raise InvalidInput("birth_date", f"a date of birth from {EARLIEST_DAY} to {LATEST_DAY}")
    with system.store.reading() as session:
        listing = clinic_listing(session, call.actor.clinic_id)
        matches = [p for p in listing if _matches(p, wanted, name, birth_date)][:MOST_FOUND]
        documents = {
            match.patient_id: folded_document(session, match.patient_id, call.today)
            for match in matches
        }
    found = [
        _found(match, documents[match.patient_id], system.knowledge, call.today)
        for match in matches
    ]
    reads = [AuditRequest(call, "pharmacy.search", match.patient_id) for match in matches]
    system.audit_appends.append_all(
        reads or [AuditRequest(call, "pharmacy.search", None, "none found")]
    )
    return found


def _words(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _WORD.findall(plain)


def _matches(patient: PatientListing, wanted: list[str], text: str, birth_date: date) -> bool:
    if patient.birth_date != birth_date.isoformat():
        return False
    if text.strip().casefold() == patient.record_id.casefold():
        return True
    have = _words(patient.name or "")
    return all(any(word.startswith(part) for word in have) for part in wanted)


def _found(
    patient: PatientListing, document: dict[str, Any], knowledge: Knowledge, today: date
) -> FoundPatient:
    record = record_from_document(document, knowledge, today)
    states = prescription_states(record, knowledge, today)
    return FoundPatient(
        name=patient.name,
        record_id=patient.record_id,
        birth_date=record.patient.birth_date,
        prescriptions=tuple(
            FoundPrescription(
                str(state.prescription.id),
                state.prescription.date,
                state.prescription.mg_per_day,
                state.prescription.days_supply,
                state.state,
                state.until,
            )
            for state in states
            if state.prescription.id is not None
        ),
    )


def verify_at_counter(
    system: ClinicSystem, call: Call, prescription_id: str, birth_date: date
) -> CounterCheck:
    """May this prescription be dispensed today, to whom, and which capsules?"""
    require_role(call.actor, "pharmacist")
    call, verification, patient_id = check_for_verification(
        system, call, prescription_id, birth_date
    )
    with system.store.reading() as session:
        name = patient_name(session, patient_id)
        document = folded_document(session, patient_id, call.today)
    system.audit_appends.append(call, "prescription.verify", patient_id=patient_id)
    record = record_from_document(document, system.knowledge, call.today)
    product = system.knowledge.products.products[record.course.product]
    prescription = verification.prescription
    mg_per_day = prescription.get("mg_per_day")
    days_supply = int(prescription["days_supply"])
    capsules: tuple[CapsuleCount, ...] = ()
    if mg_per_day is not None:
        capsules = capsule_counts(product.strengths_mg, float(mg_per_day), days_supply)
    return CounterCheck(
        verification=verification,
        patient_name=name,
        record_id=record.patient.id,
        product_name=product.name,
        mg_per_day=mg_per_day,
        days_supply=days_supply,
        capsules=capsules,
        last_day=_last_day(record, system.knowledge, prescription_id, call.today),
    )


def _last_day(
    record: CourseRecord, knowledge: Knowledge, prescription_id: str, today: date
) -> date | None:
    for state in prescription_states(record, knowledge, today):
        if state.prescription.id == prescription_id:
            return state.until if state.state == "open" else None
    return None


def capsule_counts(
    strengths_mg: tuple[float, ...], mg_per_day: float, days_supply: int
) -> tuple[CapsuleCount, ...]:
    """The capsules that make ``mg_per_day`` (morning and evening, as the plan splits it),
    largest strength first; empty when the strengths cannot make it."""
    split = daily_doses(strengths_mg).get(round(mg_per_day * 2) / 2)
    if split is None:
        return ()
    morning, evening = (Counter(capsules) for capsules in split)
    return tuple(
        CapsuleCount(strength, morning[strength], evening[strength], days_supply)
        for strength in sorted(set(morning) | set(evening), reverse=True)
    )
