"""Interacting drugs: each medication entry is read to an ingredient and class.

Decisions:

- A medication counts when active on ``as_of`` (started, not yet ended); a class
  marked ``also_on_prescription_day`` (tetracyclines) also counts when active on the
  proposed prescription's date.
- One alert per class, naming every entry of that class. The class's severity may
  change per programme (vitamin A blocks under eu-ppp and uk-mhra).
- St John's wort blocks when the patient can get pregnant, a hormonal method is active
  and the contraception would not qualify without the hormonal methods (asked of
  :func:`isocourse.rules.contraception.contraception_qualifies`); under programme
  ``none`` there is no contraception requirement and it stays a warning.
- An entry that cannot be mapped (or names a topical form of an interacting drug other
  than a tetracycline) and is active on ``as_of`` or on the prescription day raises
  ``DRUG_UNRECOGNISED``, which blocks, unless a clinician has reviewed that exact name
  (``reviews[]`` of kind ``medication``, the text equal after stripping surrounding white
  space, dated from the entry's ``start`` up to ``as_of``; see
  :mod:`isocourse.rules.reviews`). A name with the ``cycline`` stem is always the
  tetracycline class, never unrecognised (:mod:`isocourse.knowledge.drugs`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from isocourse.assessment import Alert, Findings, Severity
from isocourse.knowledge.drugs import DrugClass, DrugMatch
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord, Medication
from isocourse.rules.alerting import raise_alert
from isocourse.rules.contraception import contraception_qualifies
from isocourse.rules.course_facts import active_on, prescription_day
from isocourse.rules.reviews import is_reviewed


def assess_interactions(record: CourseRecord, knowledge: Knowledge, as_of: date) -> Findings:
    days = (as_of, prescription_day(record, as_of))
    by_class: dict[str, list[tuple[Medication, DrugMatch]]] = defaultdict(list)
    for medication in record.medications:
        match = knowledge.drugs.normalise(medication.name)
        drug_class = match.drug_class if match is not None else None
        if match is not None and drug_class is not None and _counts(medication, drug_class, days):
            by_class[drug_class.name].append((medication, match))
    alerts = [_class_alert(record, knowledge, as_of, entries) for entries in by_class.values()]
    unrecognised = unreviewed_medications(record, knowledge, as_of)
    if unrecognised:
        names = ", ".join(dict.fromkeys(repr(medication.name) for medication in unrecognised))
        alerts.append(
            raise_alert(knowledge, "DRUG_UNRECOGNISED", subject=names, medications=names)
        )
    return Findings(alerts=tuple(alerts))


def unreviewed_medications(
    record: CourseRecord, knowledge: Knowledge, as_of: date
) -> list[Medication]:
    """Entries whose name could not be mapped, active on ``as_of`` or on the prescription
    day, that no clinician has reviewed yet: each one blocks (``DRUG_UNRECOGNISED``)."""
    days = (as_of, prescription_day(record, as_of))
    return [
        medication
        for medication in record.medications
        if knowledge.drugs.normalise(medication.name) is None
        and any(active_on(medication, day) for day in days)
        and not is_reviewed(record, "medication", medication.name, medication.start, as_of)
    ]


def _counts(medication: Medication, drug_class: DrugClass, days: tuple[date, date]) -> bool:
    as_of, prescribed = days
    if active_on(medication, as_of):
        return True
    return drug_class.also_on_prescription_day and active_on(medication, prescribed)


def _class_alert(
    record: CourseRecord,
    knowledge: Knowledge,
    as_of: date,
    entries: list[tuple[Medication, DrugMatch]],
) -> Alert:
    drug_class = entries[0][1].drug_class
    assert drug_class is not None
    listed = ", ".join(
        dict.fromkeys(f"{medication.name!r} ({match.ingredient})" for medication, match in entries)
    )
    return raise_alert(
        knowledge,
        drug_class.alert,
        severity=_severity(record, knowledge, as_of, drug_class),
        medications=listed,
    )


def _severity(
    record: CourseRecord, knowledge: Knowledge, as_of: date, drug_class: DrugClass
) -> Severity | None:
    """The class's severity for this record, or None for the catalogue's default."""
    special = drug_class.hormonal_contraception_severity
    if special is not None and relies_on_hormonal_contraception(record, knowledge, as_of):
        return special
    return drug_class.severity_by_programme.get(record.programme)


def relies_on_hormonal_contraception(record: CourseRecord, knowledge: Knowledge, day: date) -> bool:
    """Can the patient get pregnant, and would the contraception fail without hormones?"""
    if record.programme == "none" or record.patient.can_get_pregnant is not True:
        return False
    hormonal = frozenset(knowledge.drugs.hormonal_contraception)
    uses_hormonal = any(
        entry.method in hormonal and active_on(entry, day) for entry in record.contraception
    )
    if not uses_hormonal:
        return False
    return not contraception_qualifies(record, knowledge, day, ignoring=hormonal)
