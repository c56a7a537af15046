"""Screening: contraindications, cautions, unknown codes, indication."""

from __future__ import annotations

import pytest

from tests.builders import DELETE, AlertCase, codes, evaluate

FIRST_PRESCRIPTION = {
    "dispenses": [],
    "proposed_prescription": {"date": "2026-03-15", "days_supply": 30, "mg_per_day": 60},
}

ALERT_CASES = [
    AlertCase(
        "SCREEN_PREGNANT",
        {"patient.conditions": ["pregnant"]},
        {"patient.conditions": ["depression"]},
        severity="stop",
    ),
    AlertCase(
        "SCREEN_BREASTFEEDING",
        {"patient.conditions": ["breastfeeding"]},
        {"patient.conditions": []},
        severity="block",
    ),
    AlertCase(
        "SCREEN_HYPERSENSITIVITY",
        {"patient.allergies": ["soy"]},
        {"patient.allergies": ["tartrazine"]},
        label="excipient",
        severity="block",
    ),
    AlertCase(
        "SCREEN_HYPERSENSITIVITY",
        {"patient.allergies": ["tartrazine"], "course.product": "absorica"},
        {"patient.allergies": ["tartrazine"], "course.product": "absorica-ld"},
        label="product-specific",
    ),
    AlertCase(
        "SCREEN_HYPERSENSITIVITY",
        {"patient.allergies": ["retinoids"]},
        {"patient.allergies": []},
        label="drug",
    ),
    # parabens: only Zenatane's current label lists them (Claravis's does not)
    AlertCase(
        "SCREEN_HYPERSENSITIVITY",
        {"patient.allergies": ["parabens"], "course.product": "zenatane"},
        {"patient.allergies": ["parabens"], "course.product": "claravis"},
        label="parabens",
    ),
    # peanut: the EU/UK SmPC contraindication (soya oil), not a US label one
    AlertCase(
        "SCREEN_HYPERSENSITIVITY",
        {"patient.allergies": ["peanut"], "programme": "eu-ppp"},
        {"patient.allergies": ["peanut"], "programme": "us-ipledge"},
        label="peanut-by-region",
        severity="block",
    ),
    AlertCase(
        "SCREEN_UNDER_12",
        {"patient.birth_date": "2014-03-16"},
        {"patient.birth_date": "2014-03-15"},
        severity="block",
    ),
    AlertCase(
        "SCREEN_PSYCHIATRIC_HISTORY",
        {"patient.conditions": ["self_harm"]},
        {"patient.conditions": ["diabetes"]},
        severity="warning",
    ),
    AlertCase(
        "SCREEN_LIVER_DISEASE",
        {"patient.conditions": ["liver_disease"]},
        {"patient.conditions": ["diabetes"]},
        severity="warning",
    ),
    AlertCase(
        "SCREEN_LIVER_DISEASE",
        {"patient.conditions": ["liver_disease"], "programme": "eu-ppp"},
        {"programme": "eu-ppp"},
        label="eu-blocks",
        severity="block",
    ),
    AlertCase(
        "SCREEN_HYPERLIPIDAEMIA",
        {"patient.conditions": ["hyperlipidaemia"]},
        {"patient.conditions": []},
    ),
    AlertCase(
        "SCREEN_DIABETES",
        {"patient.conditions": ["diabetes"]},
        {"patient.conditions": ["hyperlipidaemia"]},
    ),
    AlertCase(
        "SCREEN_BONE_DISEASE",
        {"patient.conditions": ["anorexia_nervosa"]},
        {"patient.conditions": []},
    ),
    AlertCase(
        "SCREEN_IBD",
        {"patient.conditions": ["inflammatory_bowel_disease"]},
        {"patient.conditions": []},
    ),
    AlertCase(
        "SCREEN_UNKNOWN_CONDITION",
        {"patient.conditions": ["diabetis"]},
        {"patient.conditions": ["diabetes"]},
    ),
    AlertCase(
        "SCREEN_UNKNOWN_CONDITION",
        {"patient.allergies": ["latex"]},
        {"patient.allergies": ["peanut"]},
        label="allergy",
    ),
    AlertCase(
        "SCREEN_INDICATION_UNDOCUMENTED",
        {**FIRST_PRESCRIPTION, "course.indication": DELETE},
        {"course.indication": DELETE},
    ),
    AlertCase(
        "SCREEN_INDICATION_OFF_LABEL",
        {"course.indication.acne": "moderate_scarring"},
        {"course.indication.acne": "severe_nodular"},
        severity="info",
    ),
]


@pytest.mark.parametrize("product", ["isotretinoin", "claravis", "amnesteem", "myorisan"])
def test_a_paraben_allergy_does_not_block_products_without_parabens(product: str) -> None:
    assessment = evaluate(**{"patient.allergies": ["parabens"], "course.product": product})
    assert "SCREEN_HYPERSENSITIVITY" not in codes(assessment)


@pytest.mark.parametrize(("programme", "blocks"), [("uk-mhra", True), ("us-ipledge", False)])
def test_peanut_allergy_is_judged_by_the_programme_region(programme: str, blocks: bool) -> None:
    changes = {"patient.allergies": ["peanut"], "programme": programme}
    for product in ("isotretinoin", "absorica", "zenatane"):
        found = codes(evaluate(**changes, **{"course.product": product}))
        assert ("SCREEN_HYPERSENSITIVITY" in found) is blocks


def test_peanut_allergy_blocks_without_a_programme_because_the_region_is_unknown() -> None:
    assert "SCREEN_HYPERSENSITIVITY" in codes(evaluate(**{"patient.allergies": ["peanut"]}))


def test_the_peanut_message_says_it_is_the_soya_oil() -> None:
    assessment = evaluate(**{"patient.allergies": ["peanut"], "programme": "eu-ppp"})
    (alert,) = [a for a in assessment.alerts if a.code == "SCREEN_HYPERSENSITIVITY"]
    assert "peanut" in alert.message and "soya" in alert.message
    assert "Do not prescribe" in alert.message


def test_soy_and_peanut_together_name_both_reasons_in_one_alert() -> None:
    assessment = evaluate(**{"patient.allergies": ["soy", "peanut"], "programme": "uk-mhra"})
    (alert,) = [a for a in assessment.alerts if a.code == "SCREEN_HYPERSENSITIVITY"]
    assert "soy (soybean oil)" in alert.message and "peanut:" in alert.message


def test_liver_disease_blocks_under_uk_mhra_but_only_warns_under_us_ipledge() -> None:
    uk = evaluate(**{"patient.conditions": ["liver_disease"], "programme": "uk-mhra"})
    us = evaluate(**{"patient.conditions": ["liver_disease"], "programme": "us-ipledge"})
    assert "SCREEN_LIVER_DISEASE" in uk.dispense.blocking
    assert "SCREEN_LIVER_DISEASE" not in us.dispense.blocking


def test_several_psychiatric_conditions_give_one_alert_naming_them_all() -> None:
    assessment = evaluate(**{"patient.conditions": ["depression", "psychosis"]})
    (alert,) = [a for a in assessment.alerts if a.code == "SCREEN_PSYCHIATRIC_HISTORY"]
    assert "depression" in alert.message and "psychosis" in alert.message


def test_severe_nodular_acne_without_a_failed_antibiotic_is_off_us_label() -> None:
    assessment = evaluate(**{"course.indication.failed_treatments": ["topical_retinoid"]})
    assert "SCREEN_INDICATION_OFF_LABEL" in codes(assessment)


def test_every_alert_message_is_filled_in() -> None:
    assessment = evaluate(
        **{
            "patient.conditions": ["pregnant", "osteoporosis", "unknown_thing"],
            "patient.allergies": ["soy"],
            "patient.birth_date": "2016-01-01",
        }
    )
    assert assessment.alerts
    for alert in assessment.alerts:
        assert "{" not in alert.message and alert.source
