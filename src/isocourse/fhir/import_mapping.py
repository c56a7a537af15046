"""One FHIR Observation to one course-record entry, or the reason it cannot be mapped.

Every function here raises :class:`NotMapped` with a plain reason rather than guess:
an unknown code, a unit that does not convert, a bound (``<5``) instead of a value, a
pregnancy test with no stated result or setting.

:func:`recorded_source` says who recorded an Observation, failing closed: anything that
says the patient's side performed or supplied it makes it ``patient`` (it can then raise
an alert but never clear one, and a pregnancy test counts as a home test); everything
else is ``import``. An import never claims an entry is the clinic's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, get_args

from isocourse.fhir.codes import (
    BODY_WEIGHT_LOINC,
    ENTRY_SOURCE_SYSTEM,
    EXTENSION_TEST_SETTING,
    OBSERVATION_CATEGORY,
    OBSERVATION_INTERPRETATION,
    PATIENT_SIDE_LABELS,
    PATIENT_SIDE_TYPES,
    PREGNANCY_TEST_METHOD_BY_LOINC,
    RESULT_INTERPRETATION,
    RESULT_SNOMED,
    SECURITY_OBSERVATION_VALUE,
    SNOMED,
    UCUM,
)
from isocourse.fhir.json_access import as_list, codings, field, finite_number, text_at
from isocourse.fhir.lab_terms import MOLAR_LOINC, is_molar
from isocourse.knowledge.labs import LabTest, unit_key
from isocourse.knowledge.model import Knowledge
from isocourse.record import LabResult, PregnancyTest, Source, TestResult, TestSetting, Weight

Resource = dict[str, Any]
_SETTINGS: tuple[str, ...] = get_args(TestSetting)
_RESULT_BY_SNOMED = {code: result for result, code in RESULT_SNOMED.items()}
_RESULT_BY_INTERPRETATION = {code: result for result, code in RESULT_INTERPRETATION.items()}


class NotMapped(Exception):
    """Why one resource was not imported."""


def recorded_source(resource: Resource, types_by_url: Mapping[str, str]) -> Source:
    """``patient`` when a security label (PATAST, PATRPT ...), an isocourse tag or a
    performer (a Patient or RelatedPerson, or the subject itself) says the patient's side
    recorded the Observation; else ``import``. ``types_by_url`` gives the resource type of
    each Bundle entry by its ``fullUrl``."""
    meta = field(resource, "meta")
    labels = {
        text_at(label, "code")
        for label in as_list(field(meta, "security"))
        if text_at(label, "system") == SECURITY_OBSERVATION_VALUE
    }
    tags = {
        text_at(tag, "code")
        for tag in as_list(field(meta, "tag"))
        if text_at(tag, "system") == ENTRY_SOURCE_SYSTEM
    }
    if labels & PATIENT_SIDE_LABELS or "patient" in tags:
        return "patient"
    subject = text_at(resource, "subject", "reference")
    for performer in as_list(resource.get("performer")):
        reference = text_at(performer, "reference")
        if reference is not None and reference == subject:
            return "patient"
        if _reference_type(resource, performer, types_by_url) in PATIENT_SIDE_TYPES:
            return "patient"
    return "import"


def _reference_type(resource: Resource, reference: object, types_by_url: Mapping[str, str]) -> str:
    """The resource type a Reference points to, or "" where it cannot be told."""
    stated = text_at(reference, "type")
    if stated:
        return stated.rsplit("/", 1)[-1]
    target = (text_at(reference, "reference") or "").strip()
    if target.startswith("#"):
        for contained in as_list(resource.get("contained")):
            if text_at(contained, "id") == target[1:]:
                return text_at(contained, "resourceType") or ""
        return ""
    if target in types_by_url:
        return types_by_url[target]
    # a literal reference: "Patient/1", "https://ehr.example/fhir/Patient/1/_history/2"
    parts = target.split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    return parts[-2] if len(parts) >= 2 else ""


def quantity(resource: Resource) -> tuple[float, str]:
    """The value and the unit (UCUM code, else the unit text) of ``valueQuantity``."""
    value_quantity = field(resource, "valueQuantity")
    if value_quantity is None:
        raise NotMapped("no valueQuantity (a measured value is needed)")
    comparator = text_at(value_quantity, "comparator")
    if comparator is not None:
        raise NotMapped(f"the value is a bound ({comparator!r}), not a measurement")
    value = finite_number(field(value_quantity, "value"))
    if value is None:
        raise NotMapped("valueQuantity.value is missing or not a number")
    code = text_at(value_quantity, "code")
    system = text_at(value_quantity, "system")
    unit = code if code and system in (UCUM, None) else text_at(value_quantity, "unit")
    if not unit or not unit.strip():
        raise NotMapped("valueQuantity has no unit")
    return value, unit.strip()


# UCUM body-weight units (HL7 FHIR value set ucum-bodyweight: kg, [lb_av], g).
def weight(resource: Resource, day: date, knowledge: Knowledge) -> Weight:
    value, unit = quantity(resource)
    if unit == "kg":
        entry = Weight(day, value, "kg")
    elif unit in ("[lb_av]", "lb"):
        entry = Weight(day, value, "lb")
    elif unit == "g":
        entry = Weight(day, value / 1000, "kg")
    else:
        raise NotMapped(f"unit {unit!r} is not a body-weight unit (kg, [lb_av], g)")
    kg = entry.value * (knowledge.course.kg_per_lb.value if entry.unit == "lb" else 1)
    limit = knowledge.course.weight_max_kg.value
    if not 0 < kg <= limit:
        raise NotMapped(f"implausible body weight {value:g} {unit} (above 0, up to {limit:g} kg)")
    return entry


def is_body_weight(loinc_code: str) -> bool:
    return loinc_code == BODY_WEIGHT_LOINC


def is_pregnancy_test(loinc_code: str) -> bool:
    return loinc_code in PREGNANCY_TEST_METHOD_BY_LOINC


def pregnancy_test(resource: Resource, day: date, loinc_code: str) -> PregnancyTest:
    method = PREGNANCY_TEST_METHOD_BY_LOINC[loinc_code]
    result = _test_result(resource)
    setting = _test_setting(resource, method)
    return PregnancyTest(date=day, result=result, method=method, setting=setting)  # type: ignore[arg-type]


def _test_result(resource: Resource) -> TestResult:
    from_value = _result_from_value(resource)
    from_interpretation = {
        _RESULT_BY_INTERPRETATION[code]
        for concept in as_list(resource.get("interpretation"))
        for code, _ in codings(concept, OBSERVATION_INTERPRETATION)
        if code in _RESULT_BY_INTERPRETATION
    }
    found = ({from_value} if from_value else set()) | from_interpretation
    if len(found) > 1:
        raise NotMapped("the value and the interpretation disagree (positive and negative)")
    if not found:
        raise NotMapped("no qualitative result (SNOMED CT positive/negative or POS/NEG)")
    return found.pop()  # type: ignore[return-value]


def _result_from_value(resource: Resource) -> str | None:
    concept = field(resource, "valueCodeableConcept")
    coded = {_RESULT_BY_SNOMED[c] for c, _ in codings(concept, SNOMED) if c in _RESULT_BY_SNOMED}
    words = {
        text.strip().casefold()
        for text in (text_at(concept, "text"), text_at(resource, "valueString"))
        if text is not None
    } & {"positive", "negative"}
    found = coded | words
    if len(found) > 1:
        raise NotMapped("the result says both positive and negative")
    return found.pop() if found else None


def _test_setting(resource: Resource, method: str) -> TestSetting:
    for extension in as_list(resource.get("extension")):
        if text_at(extension, "url") == EXTENSION_TEST_SETTING:
            setting = text_at(extension, "valueCode")
            if setting in _SETTINGS:
                return setting  # type: ignore[return-value]
            raise NotMapped(f"unknown pregnancy-test setting {setting!r}")
    categories = {
        c
        for concept in as_list(resource.get("category"))
        for c, _ in codings(concept, OBSERVATION_CATEGORY)
    }
    # A serum hCG is processed by a laboratory; a urine test may be done anywhere.
    if method == "serum" and "laboratory" in categories:
        return "lab"
    raise NotMapped("where the test was done is not stated (lab, clinic, office or home)")


def lab_result(resource: Resource, day: date, loinc_code: str, test: LabTest) -> LabResult:
    value, unit = quantity(resource)
    factor = test.factor_for(unit)
    if factor is None:
        raise NotMapped(f"unit {unit!r} does not convert for {test.name} ({test.unit})")
    if (loinc_code in MOLAR_LOINC) != is_molar(unit):
        raise NotMapped(f"unit {unit!r} does not match what LOINC {loinc_code} measures")
    if value < 0:
        raise NotMapped(f"a lab value cannot be negative ({value:g})")
    low, high = _reference_range(resource, unit, factor, test)
    return LabResult(day, test.name, value, unit, reference_low=low, reference_high=high)


def _reference_range(
    resource: Resource, unit: str, factor: float, test: LabTest
) -> tuple[float | None, float | None]:
    """The first referenceRange's low and high, in the value's unit (None where not usable)."""
    ranges = as_list(resource.get("referenceRange"))
    if not ranges:
        return None, None
    bounds = []
    for bound in ("low", "high"):
        bounds.append(_bound(field(ranges[0], bound), unit, factor, test))
    return bounds[0], bounds[1]


def _bound(bound: object, unit: str, factor: float, test: LabTest) -> float | None:
    value = finite_number(field(bound, "value"))
    if value is None:
        return None
    bound_unit = text_at(bound, "code") or text_at(bound, "unit") or unit
    if unit_key(bound_unit) == unit_key(unit):
        return value
    bound_factor = test.factor_for(bound_unit)
    if bound_factor is None:
        raise NotMapped(f"the reference range's unit {bound_unit!r} does not convert")
    return value * bound_factor / factor
