"""FHIR import: Observations from an EHR Bundle become record entries; the rest is reported."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isocourse.fhir import codes
from isocourse.fhir.importer import BundleImportError, observations_from_bundle
from isocourse.record import LabResult, PregnancyTest, Weight
from isocourse.rules import assess
from tests.builders import record_json
from tests.unit.fhir_support import KNOWLEDGE, bundle_of, course_of, demo_courses

DEMO = demo_courses()


def observation(loinc: str, **fields: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": codes.LOINC, "code": loinc}]},
        "subject": {"reference": "Patient/ehr-1"},
        "effectiveDateTime": "2026-03-10T08:30:00+01:00",
    }
    resource.update(fields)
    return resource


def quantity(value: Any, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": codes.UCUM, "code": unit}


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def only_reason(*resources: dict[str, Any]) -> str:
    result = observations_from_bundle(bundle(*resources), KNOWLEDGE)
    assert not (result.labs or result.weights or result.pregnancy_tests)
    (unmapped,) = result.unmapped
    return unmapped.reason


def as_imported(entries: tuple[Any, ...]) -> list[Any]:
    """Entries as an import records them: the patient's stay the patient's, the rest come
    from another system."""
    return sorted(
        (
            dataclasses.replace(e, source="patient" if e.source == "patient" else "import")
            for e in entries
        ),
        key=repr,
    )


@pytest.mark.parametrize("course", DEMO, ids=[c.record.patient.id for c in DEMO])
def test_an_exported_bundle_imports_back_to_the_same_entries(course: Any) -> None:
    result = observations_from_bundle(bundle_of(course), KNOWLEDGE)
    record = course.record
    assert sorted(result.labs, key=repr) == as_imported(record.labs)
    assert sorted(result.weights, key=repr) == as_imported(record.weights)
    assert sorted(result.pregnancy_tests, key=repr) == as_imported(record.pregnancy_tests)
    assert {u.resource_type for u in result.unmapped} <= {
        "Patient",
        "Organization",
        "MedicationRequest",
        "MedicationDispense",
        "MedicationStatement",
        "QuestionnaireResponse",
        "DetectedIssue",
    }


def test_importing_lab_observations_changes_the_assessment_as_entering_them_by_hand() -> None:
    base = course_of(record_json())
    ehr = bundle(
        observation("2571-8", valueQuantity=quantity(920, "mg/dL")),
        observation(
            "1742-6",
            valueQuantity=quantity(150, "U/L"),
            referenceRange=[{"high": quantity(45, "U/L")}],
        ),
    )
    imported = observations_from_bundle(ehr, KNOWLEDGE)
    assert imported.unmapped == ()
    by_import = dataclasses.replace(base.record, labs=base.record.labs + imported.labs)
    by_hand = course_of(
        record_json(
            labs=[
                *record_json()["labs"],
                {"date": "2026-03-10", "test": "triglycerides", "value": 920, "unit": "mg/dL"},
                {
                    "date": "2026-03-10",
                    "test": "alt",
                    "value": 150,
                    "unit": "U/L",
                    "reference_high": 45,
                },
            ]
        )
    )
    imported_assessment = assess(by_import, KNOWLEDGE, as_of=by_import.as_of)
    assert imported_assessment == by_hand.assessment
    assert imported_assessment != base.assessment


def test_a_lab_result_keeps_its_unit_and_its_labs_range() -> None:
    resource = observation(
        "35217-9",
        valueQuantity=quantity(2.4, "mmol/L"),
        referenceRange=[{"low": quantity(0.5, "mmol/L"), "high": quantity(1.7, "mmol/L")}],
    )
    (lab,) = observations_from_bundle(bundle(resource), KNOWLEDGE).labs
    assert lab == LabResult(
        date(2026, 3, 10), "triglycerides", 2.4, "mmol/L", 0.5, 1.7, source="import"
    )


def test_a_reference_range_in_another_unit_is_converted_to_the_values_unit() -> None:
    resource = observation(
        "2571-8",
        valueQuantity=quantity(177.14, "mg/dL"),
        referenceRange=[{"high": quantity(1.7, "mmol/L")}],
    )
    (lab,) = observations_from_bundle(bundle(resource), KNOWLEDGE).labs
    factor = KNOWLEDGE.labs.by_name("triglycerides").factor_for("mmol/L")
    assert factor is not None
    assert lab.reference_high == pytest.approx(1.7 * factor)


def test_body_weights_in_kg_pounds_and_grams() -> None:
    weights = [
        observation("29463-7", valueQuantity=quantity(62.5, "kg")),
        observation("29463-7", valueQuantity=quantity(140, "[lb_av]")),
        observation("29463-7", valueQuantity=quantity(61000, "g")),
    ]
    result = observations_from_bundle(bundle(*weights), KNOWLEDGE)
    assert [(w.value, w.unit) for w in result.weights] == [(62.5, "kg"), (140, "lb"), (61, "kg")]
    assert all(isinstance(w, Weight) for w in result.weights)


def test_a_serum_hcg_from_a_laboratory_is_a_lab_test() -> None:
    resource = observation(
        "2118-8",
        category=[{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": "laboratory"}]}],
        valueCodeableConcept={"coding": [{"system": codes.SNOMED, "code": "260385009"}]},
    )
    (test,) = observations_from_bundle(bundle(resource), KNOWLEDGE).pregnancy_tests
    assert test == PregnancyTest(test.date, "negative", "serum", "lab", source="import")


def test_a_pregnancy_test_result_may_be_given_by_interpretation_alone() -> None:
    resource = observation(
        "2106-3",
        extension=[{"url": codes.EXTENSION_TEST_SETTING, "valueCode": "home"}],
        interpretation=[{"coding": [{"system": codes.OBSERVATION_INTERPRETATION, "code": "POS"}]}],
    )
    (test,) = observations_from_bundle(bundle(resource), KNOWLEDGE).pregnancy_tests
    assert (test.result, test.method, test.setting) == ("positive", "urine", "home")


@pytest.mark.parametrize(
    ("resource", "reason"),
    [
        (observation("9999-9", valueQuantity=quantity(1, "mg/dL")), "not a test isocourse tracks"),
        (observation("1742-6", valueQuantity=quantity(1, "mg/dL")), "does not convert"),
        (observation("35217-9", valueQuantity=quantity(2, "mg/dL")), "does not match"),
        (
            observation("1742-6", valueQuantity={"value": 5, "comparator": "<", "code": "U/L"}),
            "bound",
        ),
        (observation("1742-6", status="preliminary", valueQuantity=quantity(5, "U/L")), "final"),
        (
            observation("1742-6", effectiveDateTime="2026-03", valueQuantity=quantity(5, "U/L")),
            "full calendar date",
        ),
        (
            {**observation("1742-6", valueQuantity=quantity(5, "U/L")), "effectiveDateTime": None},
            "no effective date",
        ),
        (observation("1742-6"), "no valueQuantity"),
        (observation("1742-6", valueQuantity=quantity("31", "U/L")), "not a number"),
        (observation("1742-6", valueQuantity=quantity(-3, "U/L")), "negative"),
        (observation("29463-7", valueQuantity=quantity(62, "stone")), "not a body-weight unit"),
        (observation("29463-7", valueQuantity=quantity(900, "kg")), "implausible"),
        (observation("2106-3", valueString="negative"), "where the test was done"),
        (
            observation(
                "2106-3",
                extension=[{"url": codes.EXTENSION_TEST_SETTING, "valueCode": "home"}],
                valueString="negative",
                interpretation=[
                    {"coding": [{"system": codes.OBSERVATION_INTERPRETATION, "code": "POS"}]}
                ],
            ),
            "disagree",
        ),
        (observation("2106-3", valueString="unclear"), "no qualitative result"),
        ({"resourceType": "Patient", "id": "ehr-1"}, "only Observations and medications"),
        (
            {**observation("x"), "code": {"coding": [{"system": "http://snomed.info/sct"}]}},
            "no LOINC code",
        ),
    ],
)
def test_content_that_cannot_be_mapped_exactly_is_reported_with_its_reason(
    resource: dict[str, Any], reason: str
) -> None:
    assert reason in only_reason(resource)


def test_a_report_names_the_entry_index_type_and_code() -> None:
    ehr = bundle(
        observation("1742-6", valueQuantity=quantity(20, "U/L")),
        observation("9999-9", valueQuantity=quantity(1, "mg/dL")),
    )
    (unmapped,) = observations_from_bundle(ehr, KNOWLEDGE).unmapped
    assert (unmapped.index, unmapped.resource_type, unmapped.code) == (1, "Observation", "9999-9")


def test_a_bundle_about_two_patients_imports_nothing_unless_a_subject_is_chosen() -> None:
    other = observation("1742-6", valueQuantity=quantity(20, "U/L"))
    other["subject"] = {"reference": "Patient/ehr-2"}
    ehr = bundle(observation("1742-6", valueQuantity=quantity(30, "U/L")), other)
    mixed = observations_from_bundle(ehr, KNOWLEDGE)
    assert mixed.labs == ()
    assert all("more than one patient" in u.reason for u in mixed.unmapped)
    chosen = observations_from_bundle(ehr, KNOWLEDGE, subject="Patient/ehr-2")
    assert [lab.value for lab in chosen.labs] == [20]
    assert "another subject" in chosen.unmapped[0].reason


@pytest.mark.parametrize(
    "document",
    [None, [], "Bundle", {"resourceType": "Patient"}, {"resourceType": "Bundle", "entry": {}}],
)
def test_a_document_that_is_not_a_bundle_is_a_clear_error(document: Any) -> None:
    with pytest.raises(BundleImportError):
        observations_from_bundle(document, KNOWLEDGE)


def test_importing_does_not_change_the_bundle() -> None:
    ehr = bundle(observation("1742-6", valueQuantity=quantity(20, "U/L")))
    before = copy.deepcopy(ehr)
    observations_from_bundle(ehr, KNOWLEDGE)
    assert ehr == before


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)
KEYS = st.sampled_from(
    [
        "resourceType",
        "status",
        "code",
        "coding",
        "system",
        "valueQuantity",
        "value",
        "unit",
        "effectiveDateTime",
        "referenceRange",
        "low",
        "high",
        "extension",
        "interpretation",
        "valueCodeableConcept",
        "category",
        "subject",
        "reference",
    ]
)
FHIRISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.sampled_from(
        [
            "Observation",
            "final",
            codes.LOINC,
            codes.UCUM,
            "1742-6",
            "2106-3",
            "29463-7",
            "35217-9",
            "U/L",
            "kg",
            "mmol/L",
            "2026-03-10",
            "2026-13-45T",
            "<",
        ]
    ),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=40,
)


MEDICATION_KEYS = st.sampled_from(
    [
        "resourceType",
        "status",
        "medicationCodeableConcept",
        "medicationReference",
        "contained",
        "coding",
        "system",
        "code",
        "display",
        "text",
        "reference",
        "id",
        "authoredOn",
        "effectivePeriod",
        "start",
        "end",
        "dispenseRequest",
        "validityPeriod",
        "expectedSupplyDuration",
        "value",
        "unit",
    ]
)
MEDICATIONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.sampled_from(
        [
            "MedicationRequest",
            "MedicationStatement",
            "active",
            "completed",
            "draft",
            codes.RXNORM,
            "6064",
            "197844",
            "doxycycline",
            "isotretinoin",
            "#med",
            "med",
            "2026-03-10",
            "2026-13-45T",
            "d",
            "wk",
        ]
    ),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(MEDICATION_KEYS, children, max_size=6)
    ),
    max_leaves=40,
)


@pytest.mark.slow  # 300 generated Bundles
@settings(max_examples=300, deadline=None)
@given(entries=st.lists(JSON | FHIRISH, max_size=5))
def test_the_importer_never_raises_on_arbitrary_entries(entries: list[Any]) -> None:
    document = {"resourceType": "Bundle", "entry": [{"resource": e} for e in entries]}
    result = observations_from_bundle(document, KNOWLEDGE)
    assert len(result.labs) + len(result.weights) + len(result.pregnancy_tests) + len(
        result.unmapped
    ) == len(entries)


@pytest.mark.slow  # 300 generated Bundles
@settings(max_examples=300, deadline=None)
@given(entries=st.lists(JSON | FHIRISH | MEDICATIONISH, max_size=5))
def test_the_importer_never_raises_on_arbitrary_medications_either(entries: list[Any]) -> None:
    document = {"resourceType": "Bundle", "entry": [{"resource": e} for e in entries]}
    result = observations_from_bundle(document, KNOWLEDGE, today=date(2026, 3, 15))
    found = len(result.labs) + len(result.weights) + len(result.pregnancy_tests)
    assert found + len(result.medications) + len(result.unmapped) == len(entries)


@settings(max_examples=200, deadline=None)
@given(document=JSON)
def test_any_json_document_is_imported_or_refused_with_a_bundle_import_error(
    document: Any,
) -> None:
    with contextlib.suppress(BundleImportError):
        observations_from_bundle(document, KNOWLEDGE)


# -- who recorded an imported Observation ----------------------------------------------------


def weight_by(**fields: Any) -> dict[str, Any]:
    return observation("29463-7", valueQuantity=quantity(61, "kg"), **fields)


def source_of(*resources: dict[str, Any], **entry_fields: Any) -> str:
    document = bundle(*resources)
    for entry in document["entry"]:
        entry.update(entry_fields)
    (weight,) = observations_from_bundle(document, KNOWLEDGE).weights
    return weight.source


@pytest.mark.parametrize(
    "performer",
    [
        {"reference": "Patient/ehr-1"},
        {"reference": "https://ehr.example/fhir/Patient/ehr-1/_history/3"},
        {"reference": "Patient/someone"},
        {"type": "Patient", "identifier": {"value": "123"}},
        {"reference": "RelatedPerson/mum"},
        {"reference": "#me"},
    ],
)
def test_an_observation_the_patients_side_performed_is_patient_reported(
    performer: dict[str, Any],
) -> None:
    contained = [{"resourceType": "Patient", "id": "me"}]
    resource = weight_by(performer=[{"reference": "Practitioner/dr"}, performer])
    resource["contained"] = contained
    assert source_of(resource) == "patient"


def test_a_performer_pointing_to_the_bundles_patient_entry_is_the_patient() -> None:
    patient_url = "urn:uuid:7b0d7ad5-3f4c-4b0e-9c59-0d1c1f1b2a11"
    ehr = bundle(
        {"resourceType": "Patient", "id": "x"},
        weight_by(subject={"reference": "Patient/x"}, performer=[{"reference": patient_url}]),
    )
    ehr["entry"][0]["fullUrl"] = patient_url
    (weight,) = observations_from_bundle(ehr, KNOWLEDGE).weights
    assert weight.source == "patient"


@pytest.mark.parametrize(
    "meta",
    [
        {"security": [{"system": codes.SECURITY_OBSERVATION_VALUE, "code": "PATAST"}]},
        {"security": [{"system": codes.SECURITY_OBSERVATION_VALUE, "code": "PATRPT"}]},
        {"tag": [{"system": codes.ENTRY_SOURCE_SYSTEM, "code": "patient"}]},
    ],
)
def test_a_patient_label_or_tag_makes_an_observation_patient_reported_whatever_its_performer(
    meta: dict[str, Any],
) -> None:
    resource = weight_by(performer=[{"reference": "Practitioner/dr"}], meta=meta)
    assert source_of(resource) == "patient"


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"performer": [{"reference": "Practitioner/dr"}]},
        {"performer": [{"reference": "Organization/lab", "display": "City Lab"}]},
        {"performer": [{"display": "Dr Lee"}]},
        {"meta": {"tag": [{"system": codes.ENTRY_SOURCE_SYSTEM, "code": "clinician"}]}},
        {"meta": {"security": [{"system": codes.SECURITY_OBSERVATION_VALUE, "code": "HCPAST"}]}},
    ],
)
def test_anything_else_is_imported_and_never_claims_to_be_the_clinics(
    fields: dict[str, Any],
) -> None:
    assert source_of(weight_by(**fields)) == "import"


def test_the_patients_own_entries_come_back_as_the_patients_after_an_export() -> None:
    course = course_of(
        record_json(
            weights=[
                {"date": "2026-01-10", "value": 62, "unit": "kg"},
                {"date": "2026-03-12", "value": 61.5, "unit": "kg", "source": "patient"},
            ],
            pregnancy_tests=[
                {
                    "date": "2026-03-12",
                    "result": "negative",
                    "method": "urine",
                    "setting": "home",
                    "source": "patient",
                }
            ],
        )
    )
    for options in ({}, {"base_url": "https://clinic.example/fhir"}):
        document = bundle_of(course, **options)
        for entry in document["entry"]:  # only the performer may say who recorded it
            entry["resource"].pop("meta", None)
        result = observations_from_bundle(document, KNOWLEDGE)
        assert {(w.date.isoformat(), w.source) for w in result.weights} == {
            ("2026-01-10", "import"),
            ("2026-03-12", "patient"),
        }
        assert [t.source for t in result.pregnancy_tests] == ["patient"]
