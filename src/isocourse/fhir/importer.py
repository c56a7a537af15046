"""Observations from an EHR's FHIR R4 Bundle into course-record entries.

``observations_from_bundle(bundle, knowledge)`` maps lab Observations (by LOINC code,
through the lab knowledge), pregnancy tests (hCG presence, LOINC per
``fhir.codes``) and body weights (LOINC 29463-7) to :class:`~isocourse.record.LabResult`,
:class:`~isocourse.record.PregnancyTest` and :class:`~isocourse.record.Weight`, each
with its ``source``: ``patient`` when the Observation says the patient's side recorded
it (:func:`~isocourse.fhir.import_mapping.recorded_source`), else ``import``. It
never guesses: whatever it cannot map exactly is listed in ``ImportResult.unmapped``
with the entry's index, resource type, code and the reason. It writes nothing; the
store appends the entries to the patient's record.

Errors: :class:`BundleImportError` when the input is not a FHIR Bundle at all. Any
problem inside an entry is a report, never an exception.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from isocourse.fhir.codes import LOINC, OBSERVATION_STATUS_IMPORTABLE
from isocourse.fhir.import_mapping import (
    NotMapped,
    is_body_weight,
    is_pregnancy_test,
    lab_result,
    pregnancy_test,
    recorded_source,
    weight,
)
from isocourse.fhir.json_access import as_dict, as_list, calendar_day, codings, field, text_at
from isocourse.fhir.medication_import import MEDICATION_TYPES, other_medication
from isocourse.knowledge.model import Knowledge
from isocourse.record import EARLIEST_DAY, LATEST_DAY, LabResult, Medication, PregnancyTest, Weight

Entry = LabResult | PregnancyTest | Weight | Medication


class BundleImportError(ValueError):
    """The document is not a FHIR Bundle (the message says what was found)."""


@dataclass(frozen=True)
class Unmapped:
    index: int  # position in Bundle.entry
    resource_type: str
    code: str  # the resource's first code (LOINC first), "" if none
    reason: str


@dataclass(frozen=True)
class ImportResult:
    labs: tuple[LabResult, ...]
    pregnancy_tests: tuple[PregnancyTest, ...]
    weights: tuple[Weight, ...]
    unmapped: tuple[Unmapped, ...]
    #: medicines the patient takes (MedicationRequest, MedicationStatement), read by
    #: RxNorm code first, then by name; only when the import is given ``today``
    medications: tuple[Medication, ...] = ()


def observations_from_bundle(
    bundle: object, knowledge: Knowledge, *, subject: str | None = None, today: date | None = None
) -> ImportResult:
    """Map the Bundle's Observations (and, given ``today``, its MedicationRequests and
    MedicationStatements: see :mod:`isocourse.fhir.medication_import`). ``subject`` (a
    reference such as ``Patient/123``) limits the import to that patient; without it, a
    Bundle about several patients imports nothing and reports every Observation."""
    full_urls, entries = _entries(bundle)
    types_by_url = {
        url: _resource_type(resource)
        for url, resource in zip(full_urls, entries, strict=True)
        if url is not None
    }
    subjects = {_subject(resource) for resource in entries if _is_observation(resource)}
    several = subject is None and len(subjects) > 1
    mapped: list[Entry] = []
    unmapped: list[Unmapped] = []
    for index, resource in enumerate(entries):
        try:
            _check_subject(resource, subject, several)
            mapped.append(_map(resource, knowledge, types_by_url, today))
        except NotMapped as reason:
            unmapped.append(Unmapped(index, _resource_type(resource), _code(resource), str(reason)))
    return ImportResult(
        labs=tuple(e for e in mapped if isinstance(e, LabResult)),
        pregnancy_tests=tuple(e for e in mapped if isinstance(e, PregnancyTest)),
        weights=tuple(e for e in mapped if isinstance(e, Weight)),
        unmapped=tuple(unmapped),
        medications=tuple(e for e in mapped if isinstance(e, Medication)),
    )


def _entries(bundle: object) -> tuple[list[str | None], list[object]]:
    """Each entry's ``fullUrl`` and resource."""
    document = as_dict(bundle)
    if document is None:
        raise BundleImportError(
            f"expected a FHIR Bundle (a JSON object), got {type(bundle).__name__}"
        )
    kind = document.get("resourceType")
    if kind != "Bundle":
        raise BundleImportError(f"expected resourceType 'Bundle', got {kind!r}")
    if "entry" in document and not isinstance(document["entry"], list):
        raise BundleImportError("Bundle.entry is not a list")
    entries = as_list(document.get("entry"))
    return [text_at(entry, "fullUrl") for entry in entries], [
        field(entry, "resource") for entry in entries
    ]


def _is_observation(resource: object) -> bool:
    return text_at(resource, "resourceType") == "Observation"


def _subject(resource: object) -> str | None:
    return text_at(resource, "subject", "reference")


def _resource_type(resource: object) -> str:
    return text_at(resource, "resourceType") or ""


def _code(resource: object) -> str:
    concept = field(resource, "code")
    found = codings(concept, LOINC) or codings(concept)
    return found[0][0] if found else ""


def _check_subject(resource: object, subject: str | None, several: bool) -> None:
    if not _is_observation(resource):
        return
    if several:
        raise NotMapped("the Bundle holds Observations about more than one patient")
    if subject is not None and _subject(resource) != subject:
        raise NotMapped(f"about another subject ({_subject(resource)!r}, expected {subject!r})")


def _map(
    resource: object, knowledge: Knowledge, types_by_url: Mapping[str, str], today: date | None
) -> Entry:
    observation = as_dict(resource)
    if observation is None:
        raise NotMapped("the entry has no resource")
    if text_at(observation, "resourceType") in MEDICATION_TYPES and today is not None:
        return other_medication(observation, knowledge, today)
    if observation.get("resourceType") != "Observation":
        raise NotMapped("only Observations and medications are imported")
    status = text_at(observation, "status")
    if status not in OBSERVATION_STATUS_IMPORTABLE:
        raise NotMapped(f"status {status!r} is not a final result")
    day = _effective_day(observation)
    entry = _by_code(observation, day, knowledge)
    return dataclasses.replace(entry, source=recorded_source(observation, types_by_url))


def _effective_day(observation: dict[str, Any]) -> date:
    text = (
        text_at(observation, "effectiveDateTime")
        or text_at(observation, "effectiveInstant")
        or text_at(observation, "effectivePeriod", "start")
    )
    if text is None:
        raise NotMapped("no effective date (effectiveDateTime, effectivePeriod.start)")
    day = calendar_day(text)
    if day is None:
        raise NotMapped(f"effective date {text!r} is not a full calendar date")
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise NotMapped(
            f"effective date {day.isoformat()} is outside {EARLIEST_DAY.isoformat()} to "
            f"{LATEST_DAY.isoformat()}"
        )
    return day


def _by_code(observation: dict[str, Any], day: date, knowledge: Knowledge) -> Entry:
    loinc_codes = [code for code, _ in codings(observation.get("code"), LOINC)]
    if not loinc_codes:
        raise NotMapped("no LOINC code")
    for loinc_code in loinc_codes:
        if is_body_weight(loinc_code):
            return weight(observation, day, knowledge)
        if is_pregnancy_test(loinc_code):
            return pregnancy_test(observation, day, loinc_code)
        test = knowledge.labs.resolve(loinc_code)
        if test is not None and loinc_code in test.loinc:
            return lab_result(observation, day, loinc_code, test)
    raise NotMapped(f"LOINC {', '.join(loinc_codes)} is not a test isocourse tracks")
