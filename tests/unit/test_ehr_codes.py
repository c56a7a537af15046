"""RxNorm-coded medications, molar lipid codes and the DocumentReference written back:
the knowledge, the matching (code first, then name) and the FHIR mappings."""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fhir.resources.R4B.documentreference import DocumentReference

from isocourse.demo_patients import demo_records
from isocourse.fhir import codes
from isocourse.fhir.document_reference import programme_status_document
from isocourse.fhir.export import course_bundle
from isocourse.fhir.import_mapping import NotMapped
from isocourse.fhir.importer import observations_from_bundle
from isocourse.fhir.medication_import import (
    ASSUMED_DAYS_SUPPLY,
    is_isotretinoin,
    isotretinoin_order,
    named_medicine,
    other_medication,
)
from isocourse.knowledge.drugs import DrugCatalogue, Ingredient
from isocourse.knowledge.loader import load_knowledge
from isocourse.knowledge.products import ProductCatalogue, RxNormDrug
from isocourse.record_parser import course_record_from_json
from isocourse.rules import assess
from tests.unit.test_fhir_import import bundle, observation, quantity

KNOWLEDGE = load_knowledge()
TODAY = date(2026, 3, 15)


def medication(
    code: str | None, text: str, kind: str = "MedicationRequest", **fields: Any
) -> dict[str, Any]:
    coding = [{"system": codes.RXNORM, "code": code, "display": text}] if code else []
    return {
        "resourceType": kind,
        "id": "m1",
        "status": "active",
        "medicationCodeableConcept": {"coding": coding, "text": text},
        **fields,
    }


# -- the knowledge -----------------------------------------------------------------------


def test_isotretinoin_codes_name_the_ingredient_and_the_capsules_with_their_products() -> None:
    rxnorm = KNOWLEDGE.products.rxnorm
    assert rxnorm.ingredient == "6064" and rxnorm.names_isotretinoin("6064")
    twenty = rxnorm.drug("197844")
    assert twenty is not None and twenty.tty == "SCD" and twenty.strength_mg == 20
    absorica = rxnorm.drug("1547567")
    assert absorica is not None and absorica.product == "absorica"
    assert not rxnorm.names_isotretinoin("3640")  # not listed: never a guessed code


def test_a_branded_code_without_its_product_is_a_knowledge_problem() -> None:
    products = KNOWLEDGE.products
    wrong = RxNormDrug("1547567", "SBD", "Absorica 35 MG", 35, source="[rxnorm]")
    broken = ProductCatalogue(
        products.products, dataclasses.replace(products.rxnorm, drugs=(wrong,))
    )
    assert any("names its product" in p for p in broken.problems(KNOWLEDGE))
    assert products.problems(KNOWLEDGE) == []


def test_a_code_is_matched_before_the_name_and_the_name_still_matches_uncoded() -> None:
    drugs = KNOWLEDGE.drugs
    tetracyclines = drugs.by_name("tetracycline")
    coded = dataclasses.replace(
        tetracyclines,
        ingredients=(Ingredient(name="doxycycline", rxnorm=("999001",)),),
    )
    catalogue = DrugCatalogue(
        classes=(coded,),
        no_interaction=(),
        no_interaction_source="[rxnorm]",
        hormonal_contraception=(),
        hormonal_contraception_source="[rxnorm]",
        names=drugs.names,
    )
    by_code = catalogue.match_coded(("999001",), "Brand X 100")
    assert by_code is not None and by_code.ingredient == "doxycycline"
    by_name = catalogue.match_coded(("123",), "doxycycline 100 mg")
    assert by_name is not None and by_name.drug_class is coded
    assert catalogue.match_coded(("123",), "Brand X 100") is None
    assert drugs.by_rxnorm("3640") is None  # no interacting ingredient carries a code yet


# -- reading medications -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("6064", "", True),
        ("197845", "ISOtretinoin 40 MG Oral Capsule", True),
        (None, "Claravis 30 mg capsules", True),
        (None, "isotretinoin 20mg", True),
        (None, "tretinoin 0.05% cream", False),
        ("5640", "ibuprofen 400 MG Oral Tablet", False),
    ],
)
def test_isotretinoin_is_recognised_by_code_then_by_name(
    code: str | None, text: str, expected: bool
) -> None:
    medicine = named_medicine(medication(code, text or "x") if text or code else {})
    assert is_isotretinoin(medicine, KNOWLEDGE) is expected


def test_an_active_medicine_is_an_entry_and_ended_or_cancelled_ones_are_not() -> None:
    active = other_medication(
        medication(None, "doxycycline hyclate 100 MG", authoredOn="2026-03-01"), KNOWLEDGE, TODAY
    )
    assert (active.name, active.start, active.end, active.source) == (
        "doxycycline hyclate 100 MG",
        date(2026, 3, 1),
        None,
        "import",
    )
    with pytest.raises(NotMapped, match="not a medicine the patient takes"):
        other_medication(medication(None, "doxycycline", status="cancelled"), KNOWLEDGE, TODAY)
    with pytest.raises(NotMapped, match="when it ended"):
        other_medication(medication(None, "doxycycline", status="completed"), KNOWLEDGE, TODAY)
    with pytest.raises(NotMapped, match="course's own medicine"):
        other_medication(medication("6064", "isotretinoin"), KNOWLEDGE, TODAY)
    drafted = other_medication(
        medication(None, "minocycline", status="draft"), KNOWLEDGE, TODAY, draft_order=True
    )
    assert drafted.start == TODAY
    ended = other_medication(
        medication(
            None,
            "prednisone 20 mg",
            kind="MedicationStatement",
            status="completed",
            effectivePeriod={"start": "2026-01-01", "end": "2026-01-10"},
        ),
        KNOWLEDGE,
        TODAY,
    )
    assert ended.end == date(2026, 1, 10)


def _order(**fields: Any) -> dict[str, Any]:
    return medication("197844", "isotretinoin 20 MG Oral Capsule", status="draft", **fields)


def test_an_isotretinoin_order_gives_its_daily_dose_from_capsules_mg_or_a_rate() -> None:
    capsules = _order(
        dosageInstruction=[
            {
                "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "capsule"}}],
            }
        ],
        dispenseRequest={"expectedSupplyDuration": {"value": 30, "code": "d"}},
    )
    read = isotretinoin_order(capsules, KNOWLEDGE, TODAY)
    assert (read.prescription.mg_per_day, read.prescription.days_supply, read.notes) == (40, 30, ())
    rate = _order(
        dosageInstruction=[
            {
                "doseAndRate": [
                    {
                        "rateRatio": {
                            "numerator": {"value": 60, "code": "mg"},
                            "denominator": {"value": 1, "code": "d"},
                        }
                    }
                ]
            }
        ]
    )
    by_rate = isotretinoin_order(rate, KNOWLEDGE, TODAY)
    assert by_rate.prescription.mg_per_day == 60
    assert by_rate.prescription.days_supply == ASSUMED_DAYS_SUPPLY
    assert any("30 days were assumed" in note for note in by_rate.notes)
    unread = isotretinoin_order(_order(), KNOWLEDGE, TODAY)
    assert unread.prescription.mg_per_day is None
    assert any("dose checks were not made" in note for note in unread.notes)
    absorica = medication("1547567", "Absorica 35 MG Oral Capsule", status="draft")
    assert isotretinoin_order(absorica, KNOWLEDGE, TODAY).product == "absorica"


# -- lab codes in both units ----------------------------------------------------------------


def test_molar_triglycerides_14927_8_are_imported_and_converted() -> None:
    found = observations_from_bundle(
        bundle(observation("14927-8", valueQuantity=quantity(6.2, "mmol/L"))), KNOWLEDGE
    )
    assert [(lab.test, lab.value, lab.unit) for lab in found.labs] == [
        ("triglycerides", 6.2, "mmol/L")
    ]
    wrong = observations_from_bundle(
        bundle(observation("14927-8", valueQuantity=quantity(550, "mg/dL"))), KNOWLEDGE
    )
    assert wrong.labs == () and "does not match" in wrong.unmapped[0].reason
    test = KNOWLEDGE.labs.by_name("triglycerides")
    assert 6.2 * (test.factor_for("mmol/L") or 0) == pytest.approx(549.1, abs=0.1)


def test_ldl_martin_hopkins_codes_are_read_in_both_units() -> None:
    found = observations_from_bundle(
        bundle(
            observation("96258-9", valueQuantity=quantity(3.1, "mmol/L")),
            observation("96259-7", valueQuantity=quantity(120, "mg/dL")),
        ),
        KNOWLEDGE,
    )
    assert [(lab.test, lab.unit) for lab in found.labs] == [("ldl", "mmol/L"), ("ldl", "mg/dL")]


# -- the export and the document written back ------------------------------------------------


def _record(document: dict[str, Any] | None = None) -> Any:
    return course_record_from_json(document or demo_records(TODAY)[0], KNOWLEDGE, today=TODAY)


def test_the_export_codes_every_medication_resource_with_rxnorm() -> None:
    record = _record()
    exported = course_bundle(record, assess(record, KNOWLEDGE, as_of=TODAY), KNOWLEDGE)
    medicines = [
        entry["resource"]
        for entry in exported["entry"]
        if entry["resource"]["resourceType"].startswith("Medication")
    ]
    assert medicines
    for resource in medicines:
        coding = resource["medicationCodeableConcept"]["coding"]
        assert coding == [{"system": codes.RXNORM, "code": "6064", "display": "isotretinoin"}]


def test_the_status_document_is_a_valid_r4_document_reference_of_type_51851_4() -> None:
    record = _record()
    assessment = assess(record, KNOWLEDGE, as_of=TODAY)
    now = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
    document = programme_status_document(
        assessment, KNOWLEDGE, ehr_patient_id="e1", programme="us-ipledge", now=now
    )
    DocumentReference.model_validate(document)
    assert document["type"]["coding"][0]["code"] == "51851-4"
    text = base64.b64decode(document["content"][0]["attachment"]["data"]).decode()
    assert "Prescription: may be written" in text
    blocked = _record({**_demo_with_doxycycline()})
    blocked_text = base64.b64decode(
        programme_status_document(
            assess(blocked, KNOWLEDGE, as_of=TODAY),
            KNOWLEDGE,
            ehr_patient_id="e1",
            programme="us-ipledge",
            now=now,
        )["content"][0]["attachment"]["data"]
    ).decode()
    assert "Prescription: blocked" in blocked_text and "DRUG_TETRACYCLINE" in blocked_text


def _demo_with_doxycycline() -> dict[str, Any]:
    document = demo_records(TODAY)[0]
    document["medications"] = [{"name": "doxycycline 100 mg", "start": "2026-03-01"}]
    return document
