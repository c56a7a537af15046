"""FHIR R4 export: every demo patient's Bundle validates and reads back; codes are bound."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhirclient.models.bundle import Bundle as ClientBundle  # type: ignore[import-untyped]
from fhirclient.models.observation import (  # type: ignore[import-untyped]
    Observation as ClientObservation,
)

from isocourse.fhir import codes
from isocourse.fhir.recorders import Clinic
from tests.builders import record_json
from tests.unit.fhir_support import (
    KNOWLEDGE,
    Course,
    bundle_of,
    course_of,
    demo_courses,
    resources,
    validate,
)

DEMO = demo_courses()


@pytest.mark.parametrize("course", DEMO, ids=[c.record.patient.id for c in DEMO])
def test_each_demo_patient_exports_a_valid_bundle_that_fhirclient_reads(course: Course) -> None:
    bundle = bundle_of(course)
    validate(bundle)
    read = ClientBundle(json.loads(json.dumps(bundle)), strict=True)
    assert read.type == "collection"
    assert len(read.entry) == len(bundle["entry"])
    assert read.entry[0].resource.resource_type == "Patient"


@pytest.mark.parametrize("course", DEMO, ids=[c.record.patient.id for c in DEMO])
def test_each_demo_bundle_uses_only_codes_from_the_required_bindings(course: Course) -> None:
    bundle = bundle_of(course)
    allowed = {
        "MedicationRequest": codes.MEDICATION_REQUEST_STATUS,
        "MedicationStatement": codes.MEDICATION_STATEMENT_STATUS,
        "MedicationDispense": codes.MEDICATION_DISPENSE_STATUS,
        "Observation": codes.OBSERVATION_STATUS,
        "QuestionnaireResponse": {"completed"},
        "DetectedIssue": {"final"},
    }
    for entry in bundle["entry"]:
        resource = entry["resource"]
        kind = resource["resourceType"]
        if kind in allowed:
            assert resource["status"] in allowed[kind], (kind, resource["status"])
    for request in resources(bundle, "MedicationRequest"):
        assert request["intent"] in codes.MEDICATION_REQUEST_INTENT
    for issue in resources(bundle, "DetectedIssue"):
        assert issue["severity"] in {"high", "moderate", "low"}


@pytest.mark.parametrize("course", DEMO, ids=[c.record.patient.id for c in DEMO])
def test_every_reference_points_to_an_entry_of_the_bundle(course: Course) -> None:
    bundle = bundle_of(course)
    full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(full_urls) == len(set(full_urls))
    for reference in _references(bundle):
        assert reference in full_urls


def _references(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for v in value.values() for r in _references(v)]
    if isinstance(value, list):
        return [r for v in value for r in _references(v)]
    return []


def test_the_export_is_stable_so_an_ehr_updates_rather_than_duplicates() -> None:
    course = DEMO[0]
    assert bundle_of(course) == bundle_of(course)


def test_ids_stay_the_same_when_a_later_lab_result_is_added() -> None:
    before = course_of(record_json())
    labs = [
        *record_json()["labs"],
        {"date": "2026-03-01", "test": "alt", "value": 20, "unit": "U/L"},
    ]
    after = course_of(record_json(labs=labs))
    ids_before = {e["resource"]["id"] for e in bundle_of(before)["entry"]}
    ids_after = {e["resource"]["id"] for e in bundle_of(after)["entry"]}
    assert ids_before - ids_after <= _detected_issue_ids(before)
    assert len(ids_after - ids_before) >= 1


def _detected_issue_ids(course: Course) -> set[str]:
    return {r["id"] for r in resources(bundle_of(course), "DetectedIssue")}


def test_a_server_export_is_a_searchset_with_restful_urls() -> None:
    course = DEMO[0]
    bundle = bundle_of(course, base_url="https://clinic.example/fhir", bundle_type="searchset")
    validate(bundle)
    assert bundle["total"] == len(bundle["entry"])
    patient = bundle["entry"][0]
    assert patient["fullUrl"] == "https://clinic.example/fhir/Patient/demo-01"
    statement = resources(bundle, "MedicationStatement")[0]
    assert statement["subject"] == {"reference": "Patient/demo-01"}


def test_a_patient_id_that_fhir_forbids_gets_a_stable_uuid_and_keeps_its_identifier() -> None:
    course = course_of(record_json(**{"patient.id": "p 001/ü"}))
    bundle = bundle_of(course)
    validate(bundle)
    patient = resources(bundle, "Patient")[0]
    assert patient["id"] != "p 001/ü"
    assert patient["identifier"] == [{"system": codes.PATIENT_ID_SYSTEM, "value": "p 001/ü"}]


def test_weights_are_loinc_body_weight_in_ucum_kg_or_avoirdupois_pound() -> None:
    weights = [
        {"date": "2026-01-10", "value": 62, "unit": "kg"},
        {"date": "2026-02-10", "value": 140, "unit": "lb"},
    ]
    observations = resources(bundle_of(course_of(record_json(weights=weights))), "Observation")
    body = [o for o in observations if o["code"]["coding"][0]["code"] == "29463-7"]
    assert [o["valueQuantity"]["code"] for o in body] == ["kg", "[lb_av]"]
    assert all(o["valueQuantity"]["system"] == "http://unitsofmeasure.org" for o in body)
    assert body[0]["category"][0]["coding"][0]["code"] == "vital-signs"


def test_pregnancy_tests_carry_the_loinc_of_their_specimen_and_a_snomed_result() -> None:
    tests = [
        {"date": "2026-03-01", "result": "negative", "method": "urine", "setting": "office"},
        {"date": "2026-03-02", "result": "positive", "method": "serum", "setting": "lab"},
    ]
    bundle = bundle_of(course_of(record_json(pregnancy_tests=tests)))
    validate(bundle)
    hcg = [o for o in resources(bundle, "Observation") if "valueCodeableConcept" in o]
    assert [o["code"]["coding"][0]["code"] for o in hcg] == ["2106-3", "2118-8"]
    assert [o["valueCodeableConcept"]["coding"][0]["code"] for o in hcg] == [
        "260385009",
        "10828004",
    ]
    assert [o["interpretation"][0]["coding"][0]["code"] for o in hcg] == ["NEG", "POS"]


def _lab_observations(labs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    bundle = bundle_of(course_of(record_json(labs=labs)))
    validate(bundle)
    return [o for o in resources(bundle, "Observation") if "referenceRange" in o or _is_lab(o)]


def _is_lab(observation: dict[str, Any]) -> bool:
    return any(e["url"] == codes.EXTENSION_LAB_TEST for e in observation.get("extension", []))


def test_a_lab_result_has_its_loinc_code_ucum_unit_and_the_labs_own_range() -> None:
    labs = [{"date": "2026-01-05", "test": "alt", "value": 31, "unit": "U/L", "reference_high": 45}]
    (alt,) = _lab_observations(labs)
    assert alt["code"]["coding"][0] == {"system": codes.LOINC, "code": "1742-6", "display": "ALT"}
    assert alt["valueQuantity"] == {
        "value": 31,
        "unit": "U/L",
        "system": codes.UCUM,
        "code": "U/L",
    }
    assert alt["referenceRange"] == [
        {"high": {"value": 45, "unit": "U/L", "system": codes.UCUM, "code": "U/L"}}
    ]


def test_triglycerides_in_mmol_per_litre_take_the_molar_loinc_code() -> None:
    labs = [{"date": "2026-01-05", "test": "triglycerides", "value": 2.1, "unit": "mmol/L"}]
    (tg,) = _lab_observations(labs)
    assert tg["code"]["coding"][0]["code"] == "35217-9"
    assert tg["valueQuantity"]["code"] == "mmol/L"


def test_glucose_in_mmol_per_litre_is_exported_in_mg_per_dl_under_its_mass_code() -> None:
    labs = [{"date": "2026-01-05", "test": "glucose", "value": 5.0, "unit": "mmol/L"}]
    (glucose,) = _lab_observations(labs)
    assert glucose["code"]["coding"][0]["code"] == "2345-7"
    assert glucose["valueQuantity"]["code"] == "mg/dL"
    factor = KNOWLEDGE.labs.by_name("glucose").factor_for("mmol/L")
    assert factor is not None
    assert glucose["valueQuantity"]["value"] == pytest.approx(5.0 * factor)


def test_a_unit_isocourse_cannot_code_is_exported_as_text_without_a_ucum_code() -> None:
    labs = [{"date": "2026-01-05", "test": "alt", "value": 31, "unit": "units per litre"}]
    (alt,) = _lab_observations(labs)
    assert alt["valueQuantity"] == {"value": 31, "unit": "units per litre"}


def test_a_unit_that_does_not_fit_its_test_is_exported_as_recorded() -> None:
    labs = [{"date": "2026-01-05", "test": "alt", "value": 31, "unit": "mg/dL"}]
    (alt,) = _lab_observations(labs)
    assert (alt["valueQuantity"]["value"], alt["valueQuantity"]["code"]) == (31, "mg/dL")


def test_fhirclient_reads_a_lab_value_and_unit_back() -> None:
    labs = [{"date": "2026-01-05", "test": "triglycerides", "value": 180, "unit": "mg/dL"}]
    (tg,) = _lab_observations(labs)
    read = ClientObservation(tg, strict=True)
    assert read.code.coding[0].code == "2571-8"
    assert read.valueQuantity.value == 180
    assert read.valueQuantity.code == "mg/dL"
    assert read.as_json()["effectiveDateTime"] == "2026-01-05"


def test_prescriptions_dispenses_and_dose_periods_map_to_medication_resources() -> None:
    proposed = {"date": "2026-03-15", "days_supply": 30, "mg_per_day": 60}
    missed = [{"date": "2026-02-01", "mg": 40}]
    bundle = bundle_of(course_of(record_json(proposed_prescription=proposed, missed_doses=missed)))
    validate(bundle)
    requests = resources(bundle, "MedicationRequest")
    # 2026-02-14 + 30 days' supply runs through as_of (2026-03-15): still active.
    assert [(r["status"], r["intent"]) for r in requests] == [
        ("active", "order"),
        ("draft", "proposal"),
    ]
    assert requests[0]["dispenseRequest"]["expectedSupplyDuration"]["value"] == 30
    (dispense,) = resources(bundle, "MedicationDispense")
    assert dispense["whenHandedOver"] == "2026-02-15"
    assert dispense["daysSupply"]["code"] == "d"
    statements = resources(bundle, "MedicationStatement")
    assert [s["status"] for s in statements] == ["completed", "active", "not-taken"]
    rate = statements[1]["dosage"][0]["doseAndRate"][0]["rateRatio"]
    assert (rate["numerator"]["value"], rate["numerator"]["code"]) == (60, "mg")
    assert (rate["denominator"]["value"], rate["denominator"]["code"]) == (1, "d")
    assert statements[1]["effectivePeriod"] == {"start": "2026-02-15"}


def test_a_phq9_becomes_a_questionnaire_response_with_loinc_answers_and_its_total() -> None:
    screens = [{"date": "2026-03-10", "instrument": "phq9", "items": [0, 1, 2, 3, 0, 0, 0, 0, 1]}]
    bundle = bundle_of(course_of(record_json(mood_screens=screens)))
    validate(bundle)
    (response,) = resources(bundle, "QuestionnaireResponse")
    assert response["questionnaire"] == "http://loinc.org/q/44249-1"
    items = response["item"]
    assert [i["linkId"] for i in items[:9]] == list(codes.PHQ9_ITEM_LOINC)
    answers = [i["answer"][0]["valueCoding"]["code"] for i in items[:4]]
    assert answers == ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
    assert items[9] == {
        "linkId": "44261-6",
        "text": "PHQ-9 quick depression assessment panel: total score",
        "answer": [{"valueInteger": 7}],
    }


def test_a_phq2_uses_the_phq2_panel_and_its_two_items() -> None:
    screens = [{"date": "2026-03-10", "instrument": "phq2", "items": [1, 2]}]
    (response,) = resources(
        bundle_of(course_of(record_json(mood_screens=screens))), "QuestionnaireResponse"
    )
    assert response["questionnaire"] == "http://loinc.org/q/55757-9"
    assert [i["linkId"] for i in response["item"]] == ["44250-9", "44255-8", "55758-7"]


def test_each_alert_is_a_detected_issue_with_severity_message_and_source() -> None:
    course = course_of(
        record_json(
            medications=[{"name": "doxycycline 100 mg", "start": "2026-03-01"}],
            proposed_prescription={"date": "2026-03-15", "days_supply": 30, "mg_per_day": 60},
        )
    )
    bundle = bundle_of(course)
    validate(bundle)
    issues = {i["code"]["coding"][0]["code"]: i for i in resources(bundle, "DetectedIssue")}
    assert set(issues) == {alert.code for alert in course.assessment.alerts}
    for alert in course.assessment.alerts:
        issue = issues[alert.code]
        assert issue["detail"] == alert.message
        assert issue["severity"] == codes.DETECTED_ISSUE_SEVERITY[alert.severity]
        extensions = {e["url"]: e for e in issue["extension"]}
        assert extensions[codes.EXTENSION_ALERT_SOURCE]["valueString"] == alert.source
        assert extensions[codes.EXTENSION_ALERT_SEVERITY]["valueCode"] == alert.severity
        assert ("implicated" in issue) == alert.blocks


def test_isocourse_severities_map_to_fhir_detected_issue_severities() -> None:
    assert codes.DETECTED_ISSUE_SEVERITY == {
        "stop": "high",
        "urgent": "high",
        "block": "high",
        "warning": "moderate",
        "info": "low",
    }


def test_a_prescription_whose_supply_ended_before_as_of_is_completed() -> None:
    prescriptions = [{"date": "2026-01-14", "days_supply": 30, "mg_per_day": 40}]
    requests = resources(
        bundle_of(course_of(record_json(prescriptions=prescriptions))), "MedicationRequest"
    )
    assert [r["status"] for r in requests] == ["completed"]


# -- who recorded each entry -------------------------------------------------------------------

PATIENT_LABELS = {"PATRPT", "PATAST"}


def _recorded_course() -> Course:
    """One of each kind recorded by the patient, and by the clinic, a lab feed, an import."""
    return course_of(
        record_json(
            weights=[
                {"date": "2026-01-10", "value": 62, "unit": "kg"},
                {"date": "2026-03-12", "value": 61.5, "unit": "kg", "source": "patient"},
            ],
            pregnancy_tests=[
                {
                    "date": "2026-03-01",
                    "result": "negative",
                    "method": "urine",
                    "setting": "office",
                },
                {
                    "date": "2026-03-13",
                    "result": "negative",
                    "method": "urine",
                    "setting": "home",
                    "source": "patient",
                },
            ],
            mood_screens=[
                {"date": "2026-03-10", "instrument": "phq9", "items": [0] * 9},
                {"date": "2026-03-12", "instrument": "phq9", "items": [0] * 9, "source": "patient"},
            ],
            labs=[
                {"date": "2026-01-05", "test": "alt", "value": 31, "unit": "U/L", "source": "lab"},
                {
                    "date": "2026-01-06",
                    "test": "ast",
                    "value": 25,
                    "unit": "U/L",
                    "source": "import",
                },
            ],
            missed_doses=[{"date": "2026-03-02", "mg": 60, "source": "patient"}],
        )
    )


def _by_date(bundle: dict[str, Any], kind: str, element: str, day: str) -> dict[str, Any]:
    (found,) = [r for r in resources(bundle, kind) if day in json.dumps(r.get(element))]
    return found


def _patient_reference(bundle: dict[str, Any]) -> dict[str, str]:
    return {"reference": bundle["entry"][0]["fullUrl"]}


def _entry_of(bundle: dict[str, Any], reference: dict[str, str]) -> dict[str, Any]:
    (found,) = [e["resource"] for e in bundle["entry"] if e["fullUrl"] == reference["reference"]]
    return found


def _labels(resource: dict[str, Any]) -> set[str]:
    return {label["code"] for label in resource["meta"].get("security", [])}


def _tag(resource: dict[str, Any]) -> str:
    (tag,) = resource["meta"]["tag"]
    assert tag["system"] == codes.ENTRY_SOURCE_SYSTEM
    return str(tag["code"])


def test_the_patients_own_weight_test_and_phq9_name_the_patient_as_who_recorded_them() -> None:
    bundle = bundle_of(_recorded_course())
    validate(bundle)
    patient = _patient_reference(bundle)
    weight = _by_date(bundle, "Observation", "effectiveDateTime", "2026-03-12")
    test = _by_date(bundle, "Observation", "effectiveDateTime", "2026-03-13")
    screen = _by_date(bundle, "QuestionnaireResponse", "authored", "2026-03-12")
    missed = _by_date(bundle, "MedicationStatement", "effectiveDateTime", "2026-03-02")
    for observation in (weight, test):
        assert observation["performer"] == [patient]
        assert _labels(observation) == PATIENT_LABELS
        assert _tag(observation) == "patient"
    assert test["valueCodeableConcept"]["text"] == "Negative"
    assert (screen["author"], screen["source"]) == (patient, patient)
    assert _labels(screen) == PATIENT_LABELS
    assert missed["informationSource"] == patient
    assert _tag(missed) == "patient"
    read = ClientBundle(json.loads(json.dumps(bundle)), strict=True)
    performers = [
        e.resource.performer[0].reference
        for e in read.entry
        if e.resource.resource_type == "Observation" and e.resource.performer
    ]
    assert patient["reference"] in performers


def test_the_clinics_entries_name_the_clinic_and_never_the_patient() -> None:
    bundle = bundle_of(_recorded_course())
    patient = _patient_reference(bundle)
    weight = _by_date(bundle, "Observation", "effectiveDateTime", "2026-01-10")
    screen = _by_date(bundle, "QuestionnaireResponse", "authored", "2026-03-10")
    dose = resources(bundle, "MedicationStatement")[0]
    request = resources(bundle, "MedicationRequest")[0]
    dispense = resources(bundle, "MedicationDispense")[0]
    recorders = [
        weight["performer"][0],
        screen["author"],
        dose["informationSource"],
        request["requester"],
        dispense["performer"][0]["actor"],
    ]
    for reference in recorders:
        assert reference != patient
        organization = _entry_of(bundle, reference)
        assert organization["resourceType"] == "Organization"
        assert organization["name"] == reference["display"]
    assert "source" not in screen
    for resource in (weight, screen, dose, request, dispense):
        assert _labels(resource) == {"HCPAST"}
        assert _tag(resource) == "clinician"


def test_a_lab_feeds_result_names_the_feed_and_an_imported_one_names_no_performer() -> None:
    bundle = bundle_of(_recorded_course())
    alt = _by_date(bundle, "Observation", "effectiveDateTime", "2026-01-05")
    ast = _by_date(bundle, "Observation", "effectiveDateTime", "2026-01-06")
    feed = _entry_of(bundle, alt["performer"][0])
    assert (feed["resourceType"], feed["name"]) == ("Organization", "Laboratory feed")
    assert (_tag(alt), _labels(alt)) == ("lab", set())
    assert "performer" not in ast
    assert (_tag(ast), _labels(ast)) == ("import", set())


def test_a_bundle_names_only_the_organizations_its_entries_point_to() -> None:
    bundle = bundle_of(_recorded_course())
    assert len(resources(bundle, "Organization")) == 2
    clinic_only = bundle_of(course_of(record_json()))
    (clinic,) = resources(clinic_only, "Organization")
    assert clinic["name"] == "The clinic (isocourse)"


def test_a_named_clinic_is_one_organization_with_its_id_in_every_patients_export() -> None:
    clinic = Clinic("north", "North Dermatology")
    first = bundle_of(course_of(record_json()), clinic=clinic)
    second = bundle_of(course_of(record_json(**{"patient.id": "p-other"})), clinic=clinic)
    validate(first)
    (one,) = resources(first, "Organization")
    (other,) = resources(second, "Organization")
    assert one == other
    assert one["name"] == "North Dermatology"
    assert one["identifier"] == [{"system": codes.CLINIC_ID_SYSTEM, "value": "north"}]
    weight = resources(first, "Observation")[0]
    assert weight["performer"][0]["display"] == "North Dermatology"


def test_a_cancelled_prescription_is_a_cancelled_medication_request() -> None:
    prescriptions = [
        {"date": "2026-03-10", "days_supply": 30, "mg_per_day": 60, "cancelled": "2026-03-11"},
        {"date": "2026-03-12", "days_supply": 30, "mg_per_day": 60},
    ]
    bundle = bundle_of(course_of(record_json(prescriptions=prescriptions, dispenses=[])))
    validate(bundle)
    assert [r["status"] for r in resources(bundle, "MedicationRequest")] == [
        "cancelled",
        "active",
    ]
