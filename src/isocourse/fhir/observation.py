"""Weights, pregnancy tests and lab results as FHIR R4 Observation resources.

- a weight: LOINC 29463-7 (body weight), category ``vital-signs``, UCUM kg or [lb_av];
- a pregnancy test: LOINC 2106-3 (urine) or 2118-8 (serum), category ``laboratory``,
  the result as SNOMED CT Positive/Negative with the v3 interpretation POS/NEG, and
  where it was done (``lab``, ``clinic``, ``office``, ``home``) in an extension;
- a lab result: the LOINC code and UCUM unit the lab knowledge gives for the test and
  unit, category ``laboratory``, the reporting lab's own range as ``referenceRange``.

Each names who recorded it in ``performer`` and ``meta`` (see :mod:`isocourse.fhir.recorders`).
"""

from __future__ import annotations

from typing import Any

from isocourse.fhir.codes import (
    BODY_WEIGHT_LOINC,
    EXTENSION_LAB_TEST,
    EXTENSION_TEST_SETTING,
    LOINC,
    OBSERVATION_CATEGORY,
    OBSERVATION_INTERPRETATION,
    PREGNANCY_TEST_DISPLAY,
    PREGNANCY_TEST_LOINC_BY_METHOD,
    RESULT_INTERPRETATION,
    RESULT_SNOMED,
    SNOMED,
    WEIGHT_UCUM,
)
from isocourse.fhir.ids import Addressing, keyed
from isocourse.fhir.lab_terms import LabCoding, lab_coding
from isocourse.fhir.medication import ucum_quantity
from isocourse.fhir.recorders import Recorders, label
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord, LabResult, PregnancyTest, Source, Weight

Resource = dict[str, Any]


def observations(
    record: CourseRecord, knowledge: Knowledge, at: Addressing, recorders: Recorders
) -> list[Resource]:
    resources = [
        _recorded(_weight(w, key, at), w.source, recorders)
        for key, w in keyed(record.weights, lambda w: f"weight|{w.date}")
    ]
    resources += [
        _recorded(_pregnancy_test(t, key, at), t.source, recorders)
        for key, t in keyed(record.pregnancy_tests, lambda t: f"hcg|{t.method}|{t.date}")
    ]
    resources += [
        _recorded(_lab(lab, key, knowledge, at), lab.source, recorders)
        for key, lab in keyed(record.labs, lambda lab: f"lab|{lab.test}|{lab.date}")
    ]
    return resources


def _recorded(resource: Resource, source: Source, recorders: Recorders) -> Resource:
    """``performer``: who made the observation known (the patient, the clinic, a lab)."""
    performer = recorders.reference(source)
    if performer is not None:
        resource["performer"] = [performer]
    return label(resource, source)


def _category(code: str, display: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code, "display": display}]}]


def _observation(kind_key: str, at: Addressing, code: dict[str, Any], day: str) -> Resource:
    return {
        "resourceType": "Observation",
        "id": at.resource_id("Observation", kind_key),
        "status": "final",
        "code": code,
        "subject": at.patient_reference,
        "effectiveDateTime": day,
    }


def _weight(weight: Weight, key: str, at: Addressing) -> Resource:
    code = {
        "coding": [{"system": LOINC, "code": BODY_WEIGHT_LOINC, "display": "Body weight"}],
        "text": "Body weight",
    }
    resource = _observation(key, at, code, weight.date.isoformat())
    resource["category"] = _category("vital-signs", "Vital Signs")
    resource["valueQuantity"] = ucum_quantity(weight.value, WEIGHT_UCUM[weight.unit], weight.unit)
    return resource


def _pregnancy_test(test: PregnancyTest, key: str, at: Addressing) -> Resource:
    loinc_code = PREGNANCY_TEST_LOINC_BY_METHOD[test.method]
    display = PREGNANCY_TEST_DISPLAY[loinc_code]
    code = {
        "coding": [{"system": LOINC, "code": loinc_code, "display": display}],
        "text": f"Pregnancy test ({test.method})",
    }
    resource = _observation(key, at, code, test.date.isoformat())
    resource["extension"] = [{"url": EXTENSION_TEST_SETTING, "valueCode": test.setting}]
    resource["category"] = _category("laboratory", "Laboratory")
    result = test.result.capitalize()
    resource["valueCodeableConcept"] = {
        "coding": [{"system": SNOMED, "code": RESULT_SNOMED[test.result], "display": result}],
        "text": result,
    }
    resource["interpretation"] = [
        {
            "coding": [
                {
                    "system": OBSERVATION_INTERPRETATION,
                    "code": RESULT_INTERPRETATION[test.result],
                    "display": result,
                }
            ]
        }
    ]
    return resource


def _lab(lab: LabResult, key: str, knowledge: Knowledge, at: Addressing) -> Resource:
    coding = lab_coding(knowledge, lab.test, lab.value, lab.unit)
    code: dict[str, Any] = {"text": coding.display}
    if coding.loinc is not None:
        code["coding"] = [{"system": LOINC, "code": coding.loinc, "display": coding.display}]
    resource = _observation(key, at, code, lab.date.isoformat())
    resource["extension"] = [{"url": EXTENSION_LAB_TEST, "valueCode": coding.test_name}]
    resource["category"] = _category("laboratory", "Laboratory")
    resource["valueQuantity"] = ucum_quantity(coding.value, coding.ucum, coding.unit)
    reference = _reference_range(lab, coding)
    if reference:
        resource["referenceRange"] = [reference]
    return resource


def _reference_range(lab: LabResult, coding: LabCoding) -> dict[str, Any]:
    reference: dict[str, Any] = {}
    for bound, value in (("low", lab.reference_low), ("high", lab.reference_high)):
        if value is not None:
            reference[bound] = ucum_quantity(value * coding.factor, coding.ucum, coding.unit)
    return reference
