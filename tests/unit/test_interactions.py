"""Interacting drugs: reading medication names, classes, active days and severities."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isocourse.knowledge.drugs import DrugCatalogue, Ingredient, NameWords, normalise_medication
from isocourse.knowledge.loader import load_knowledge
from tests.builders import AlertCase, codes, evaluate


def taking(name: str, start: str = "2026-02-20", end: str | None = None) -> dict[str, Any]:
    return {"medications": [{"name": name, "start": start, "end": end}]}


def ended_yesterday(name: str) -> dict[str, Any]:
    """The medication ended the day before as_of (2026-03-15)."""
    return taking(name, end="2026-03-14")


def planned(name: str, start: str, end: str) -> dict[str, Any]:
    """A proposed prescription dated 2026-03-10, checked on 2026-03-15."""
    return {
        **taking(name, start=start, end=end),
        "proposed_prescription": {"date": "2026-03-10", "days_supply": 30, "mg_per_day": 60},
    }


def review(
    text: str,
    day: str = "2026-03-01",
    *,
    kind: str = "medication",
    source: str = "clinician",
    outcome: str = "not_relevant",
) -> dict[str, Any]:
    """A review of ``text`` (the medications above start on 2026-02-20)."""
    return {"date": day, "kind": kind, "text": text, "outcome": outcome, "source": source}


PILL_AND_CONDOM = [
    {"method": "combined_pill", "start": "2025-11-01", "end": None},
    {"method": "male_condom", "start": "2025-11-01", "end": None},
]
COPPER_IUD_AND_PILL = [
    {"method": "iud_copper", "start": "2025-11-01", "end": None},
    {"method": "combined_pill", "start": "2025-11-01", "end": None},
]


def eu_patient_who_can_get_pregnant(contraception: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "programme": "eu-ppp",
        "patient.can_get_pregnant": True,
        "contraception": contraception,
    }


ALERT_CASES: list[AlertCase] = [
    AlertCase(
        "DRUG_TETRACYCLINE",
        fires=taking("doxycycline 100 mg"),
        quiet=ended_yesterday("doxycycline 100 mg"),
        severity="block",
    ),
    AlertCase(
        "DRUG_TETRACYCLINE",
        label="on-the-prescription-day",
        fires=planned("Solodyn 105 mg ER", start="2026-03-01", end="2026-03-10"),
        quiet=planned("Solodyn 105 mg ER", start="2026-03-01", end="2026-03-09"),
    ),
    AlertCase(
        "DRUG_SYSTEMIC_RETINOID",
        fires=taking("Soriatane 25 mg"),
        quiet=ended_yesterday("Soriatane 25 mg"),
        severity="block",
    ),
    AlertCase(
        "DRUG_SYSTEMIC_RETINOID",
        label="oral-tretinoin-not-cream",
        fires=taking("tretinoin 10 mg capsules"),
        quiet=taking("tretinoin 0.05% cream"),
    ),
    AlertCase(
        "DRUG_VITAMIN_A",
        fires=taking("Cod-liver oil"),
        quiet=ended_yesterday("Cod-liver oil"),
        severity="warning",
    ),
    AlertCase(
        "DRUG_VITAMIN_A",
        label="eu-blocks",
        fires={**taking("retinyl palmitate 10,000 IU"), "programme": "eu-ppp"},
        quiet={**ended_yesterday("retinyl palmitate"), "programme": "eu-ppp"},
        severity="block",
    ),
    AlertCase(
        "DRUG_CORTICOSTEROID",
        fires=taking("prednisolone 5mg tablets"),
        quiet=ended_yesterday("prednisolone 5mg tablets"),
        severity="warning",
    ),
    AlertCase(
        "DRUG_PHENYTOIN",
        fires=taking("Dilantin 100 mg"),
        quiet=ended_yesterday("Dilantin 100 mg"),
        severity="warning",
    ),
    AlertCase(
        "DRUG_ST_JOHNS_WORT",
        fires=taking("St. John's Wort 300mg"),
        quiet=ended_yesterday("St. John's Wort 300mg"),
        severity="warning",
    ),
    AlertCase(
        "DRUG_ST_JOHNS_WORT",
        label="blocks-when-contraception-relies-on-hormones",
        fires={**taking("Hypericum"), **eu_patient_who_can_get_pregnant(PILL_AND_CONDOM)},
        quiet={**ended_yesterday("Hypericum"), **eu_patient_who_can_get_pregnant(PILL_AND_CONDOM)},
        severity="block",
    ),
    AlertCase(
        "DRUG_UNRECOGNISED",
        fires=taking("Zqxtrabolin 5 mg"),
        quiet=taking("ibuprofen 400 mg"),
        severity="block",
    ),
    AlertCase(
        "DRUG_UNRECOGNISED",
        label="ended",
        fires=taking("Zqxtrabolin 5 mg"),
        quiet=ended_yesterday("Zqxtrabolin 5 mg"),
    ),
    AlertCase(
        "DRUG_UNRECOGNISED",
        label="reviewed-by-a-clinician",
        fires={
            **taking("Zqxtrabolin 5 mg"),
            "reviews": [review("Zqxtrabolin 5 mg", source="patient")],
        },
        quiet={**taking("Zqxtrabolin 5 mg"), "reviews": [review("Zqxtrabolin 5 mg")]},
        severity="block",
    ),
    AlertCase(
        "DRUG_TETRACYCLINE",
        label="unlisted-cycline-name",
        fires=taking("XYZcycline 100mg"),
        quiet=ended_yesterday("XYZcycline 100mg"),
        severity="block",
    ),
]


def drug_alerts(**changes: Any) -> dict[str, str]:
    """Code → severity of the DRUG_ alerts for BASE with ``changes``."""
    return {a.code: a.severity for a in evaluate(**changes).alerts if a.code.startswith("DRUG_")}


# -- reading names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ingredient", "drug_class"),
    [
        ("Solodyn 105 mg ER", "minocycline", "tetracycline"),
        ("doxycycline hyclate 100mg", "doxycycline", "tetracycline"),
        ("Doxycycline Monohydrate 100 mg capsule", "doxycycline", "tetracycline"),
        ("MINOCYCLINE", "minocycline", "tetracycline"),
        ("minocycline hydrochloride ER 90mg", "minocycline", "tetracycline"),
        ("Doryx MPC 120 mg DR", "doxycycline", "tetracycline"),
        ("Vibra-Tabs", "doxycycline", "tetracycline"),
        ("Oracea 40mg", "doxycycline", "tetracycline"),
        ("Seysara 100 mg", "sarecycline", "tetracycline"),
        ("Nuzyra", "omadacycline", "tetracycline"),
        ("Xerava", "eravacycline", "tetracycline"),
        ("Tygacil 50mg IV", "tigecycline", "tetracycline"),
        ("Declomycin", "demeclocycline", "tetracycline"),
        ("lymecycline 408 mg", "lymecycline", "tetracycline"),
        ("Neotigason 10mg", "acitretin", "systemic_retinoid"),
        ("Toctino", "alitretinoin", "systemic_retinoid"),
        ("Targretin 75 mg capsules", "bexarotene", "systemic_retinoid"),
        ("Vesanoid", "tretinoin", "systemic_retinoid"),
        ("oral tretinoin", "tretinoin", "systemic_retinoid"),
        ("St. John's Wort 300mg", "st johns wort", "st_johns_wort"),
        ("St John’s wort", "st johns wort", "st_johns_wort"),
        ("saint johns-wort", "st johns wort", "st_johns_wort"),
        ("Hypericum perforatum extract", "st johns wort", "st_johns_wort"),
        ("Cod-liver oil", "cod liver oil", "vitamin_a"),
        ("COD LIVER OIL capsules 1000mg", "cod liver oil", "vitamin_a"),
        ("Vitamin A 10,000 IU", "vitamin a", "vitamin_a"),
        ("retinyl palmitate", "vitamin a", "vitamin_a"),
        ("Deltasone 20 mg", "prednisone", "corticosteroid"),
        ("Medrol dose pack", "methylprednisolone", "corticosteroid"),
        ("methylprednisolone sodium succinate", "methylprednisolone", "corticosteroid"),
        ("dexamethasone 4mg", "dexamethasone", "corticosteroid"),
        ("Hydrocortisone 10 mg tablets", "hydrocortisone", "corticosteroid"),
        ("Epanutin 100mg", "phenytoin", "phenytoin"),
        ("phenytoin sodium extended 100 mg", "phenytoin", "phenytoin"),
        ("Cerebyx", "fosphenytoin", "phenytoin"),
        ("ibuprofen 400mg", "ibuprofen", None),
        ("Tylenol", "paracetamol", None),
        ("acetaminophen 500 mg", "paracetamol", None),
        ("Yasmin", "ethinylestradiol", None),
        ("Microgynon 30", "ethinylestradiol", None),
        ("doxycycline with ibuprofen", "doxycycline", "tetracycline"),
    ],
)
def test_medication_names_are_read_to_an_ingredient_and_class(
    text: str, ingredient: str, drug_class: str | None
) -> None:
    match = normalise_medication(text, load_knowledge().drugs)
    assert match is not None
    assert match.ingredient == ingredient
    assert (match.drug_class.name if match.drug_class else None) == drug_class


@pytest.mark.parametrize(
    "text",
    [
        "multivitamin",
        "tretinoin",
        "tretinoin 0.025% cream",
        "hydrocortisone cream 1%",
        "retinol serum",
        "Solodyn cream",
        "Amzeeq",
        "Zilxi",
        "",
        "   ",
        "100 mg",
        "Zqxtrabolin",
    ],
)
def test_unknown_ambiguous_and_topical_names_are_left_for_a_person(text: str) -> None:
    assert normalise_medication(text, load_knowledge().drugs) is None


@given(st.text())
def test_reading_a_name_never_raises(text: str) -> None:
    normalise_medication(text, load_knowledge().drugs)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_reading_is_the_same_the_second_time(text: str) -> None:
    drugs = load_knowledge().drugs
    assert normalise_medication(text, drugs) == normalise_medication(text, drugs)


@given(strength=st.integers(min_value=1, max_value=1000), case=st.sampled_from(["lower", "upper"]))
def test_strength_and_case_do_not_change_the_reading(strength: int, case: str) -> None:
    text = f"Doxycycline Hyclate {strength}mg"
    text = text.lower() if case == "lower" else text.upper()
    match = normalise_medication(text, load_knowledge().drugs)
    assert match is not None and match.ingredient == "doxycycline"


def test_the_name_index_is_built_once_per_catalogue() -> None:
    drugs = load_knowledge().drugs
    drugs.normalise("doxycycline")
    assert drugs._index is drugs._index


def test_the_drug_catalogue_has_no_problems() -> None:
    knowledge = load_knowledge()
    assert knowledge.drugs.problems(knowledge) == []


def test_a_name_meaning_two_drugs_is_a_knowledge_problem() -> None:
    drugs = load_knowledge().drugs
    clash = DrugCatalogue(
        classes=drugs.classes,
        no_interaction=(Ingredient(name="ibuprofen", brands=("Doryx",)),),
        no_interaction_source="test",
        hormonal_contraception=(),
        hormonal_contraception_source="test",
        names=NameWords(noise_words=(), oral_words=(), topical_words=(), source="test"),
    )
    assert any("doryx" in problem for problem in clash.problems(load_knowledge()))


# -- the rule ------------------------------------------------------------------------------------


def test_tetracycline_blocks_dispense() -> None:
    assessment = evaluate(**taking("minocycline 100mg"))
    assert "DRUG_TETRACYCLINE" in assessment.dispense.blocking
    assert assessment.dispense.allowed is False


def test_the_tetracycline_message_says_what_to_do_and_names_the_entry() -> None:
    (alert,) = [
        a for a in evaluate(**taking("Solodyn 105 mg ER")).alerts if a.code.startswith("DRUG_")
    ]
    assert "'Solodyn 105 mg ER' (minocycline)" in alert.message
    assert "intracranial hypertension" in alert.message


def test_a_medication_starting_after_as_of_does_not_count() -> None:
    assert drug_alerts(**taking("prednisone 20 mg", start="2026-03-16")) == {}


def test_a_medication_starting_on_as_of_counts() -> None:
    assert drug_alerts(**taking("prednisone 20 mg", start="2026-03-15")) == {
        "DRUG_CORTICOSTEROID": "warning"
    }


def test_only_tetracyclines_count_on_the_prescription_day() -> None:
    changes = planned("prednisone 20 mg", start="2026-03-01", end="2026-03-10")
    assert "DRUG_CORTICOSTEROID" not in drug_alerts(**changes)


def test_vitamin_a_blocks_under_the_uk_programme_too() -> None:
    assert drug_alerts(**taking("Cod liver oil"), programme="uk-mhra")["DRUG_VITAMIN_A"] == "block"


def test_vitamin_a_warns_under_ipledge() -> None:
    found = drug_alerts(**taking("Cod liver oil"), programme="us-ipledge")
    assert found["DRUG_VITAMIN_A"] == "warning"


def test_st_johns_wort_warns_when_contraception_qualifies_without_hormones() -> None:
    changes = {**taking("Hypericum"), **eu_patient_who_can_get_pregnant(COPPER_IUD_AND_PILL)}
    assert drug_alerts(**changes)["DRUG_ST_JOHNS_WORT"] == "warning"


def test_st_johns_wort_warns_for_a_patient_who_cannot_get_pregnant() -> None:
    changes = {**taking("Hypericum"), **eu_patient_who_can_get_pregnant(PILL_AND_CONDOM)}
    changes["patient.can_get_pregnant"] = False
    assert drug_alerts(**changes)["DRUG_ST_JOHNS_WORT"] == "warning"


def test_st_johns_wort_warns_without_a_programme() -> None:
    changes = {**taking("Hypericum"), **eu_patient_who_can_get_pregnant(PILL_AND_CONDOM)}
    changes["programme"] = "none"
    assert drug_alerts(**changes)["DRUG_ST_JOHNS_WORT"] == "warning"


def test_one_alert_per_class_names_every_entry() -> None:
    medications = [
        {"name": "doxycycline 100mg", "start": "2026-03-01", "end": None},
        {"name": "Minocin", "start": "2026-03-01", "end": None},
    ]
    alerts = [a for a in evaluate(medications=medications).alerts if a.code == "DRUG_TETRACYCLINE"]
    assert len(alerts) == 1
    assert "doxycycline" in alerts[0].message and "Minocin" in alerts[0].message


def test_known_medicines_without_interaction_raise_nothing() -> None:
    medications = [
        {"name": name, "start": "2026-03-01", "end": None}
        for name in ("ibuprofen 200mg", "Yasmin", "paracetamol", "vitamin D 1000 IU")
    ]
    assert drug_alerts(medications=medications) == {}


def test_an_unrecognised_name_is_shown_as_written() -> None:
    (alert,) = [
        a for a in evaluate(**taking("Zqxtrabolin 5 mg")).alerts if a.code == "DRUG_UNRECOGNISED"
    ]
    assert "'Zqxtrabolin 5 mg'" in alert.message
    assert codes(evaluate(**taking("Zqxtrabolin 5 mg"))) >= {"DRUG_UNRECOGNISED"}


# -- the cycline stem ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ingredient"),
    [
        ("Tetracyclinex", "tetracyclinex"),
        ("lymecycline", "lymecycline"),
        ("LymeCycline 408 mg", "lymecycline"),
        ("XYZcycline 100mg", "xyzcycline"),
        ("Doxycyclinex 100 mg", "doxycyclinex"),
        ("DOXYCYCLINE100MG", "doxycycline"),
        ("doxycycline gel", "doxycycline"),
        ("minocycline foam", "minocycline"),
        ("prednisolone and doxycycline", "doxycycline"),
        ("Solodyn plus a cycline", "minocycline"),
    ],
)
def test_a_name_with_the_cycline_stem_is_a_tetracycline(text: str, ingredient: str) -> None:
    match = normalise_medication(text, load_knowledge().drugs)
    assert match is not None and match.drug_class is not None
    assert (match.ingredient, match.drug_class.name) == (ingredient, "tetracycline")


@given(
    before=st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ", max_size=8),
    after=st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ", max_size=8),
    stem=st.sampled_from(["cycline", "CYCLINE", "Cycline", "cYcLiNe"]),
    extra=st.sampled_from(["", " 100 mg", " gel", " capsules", " with ibuprofen", " ER 90mg"]),
)
def test_any_word_containing_cycline_is_a_tetracycline(
    before: str, after: str, stem: str, extra: str
) -> None:
    match = normalise_medication(f"{before}{stem}{after}{extra}", load_knowledge().drugs)
    assert match is not None and match.drug_class is not None
    assert match.drug_class.name == "tetracycline"


@pytest.mark.parametrize("name", ["Tetracyclinex", "lymecycline", "XYZcycline 100mg"])
def test_a_cycline_name_blocks_as_a_tetracycline_never_as_unrecognised(name: str) -> None:
    assessment = evaluate(**taking(name))
    assert drug_alerts(**taking(name)) == {"DRUG_TETRACYCLINE": "block"}
    assert assessment.dispense.allowed is False
    assert "DRUG_TETRACYCLINE" in assessment.dispense.blocking


def test_a_topical_cycline_names_its_form_and_blocks() -> None:
    assert drug_alerts(**taking("minocycline 4% foam")) == {"DRUG_TETRACYCLINE": "block"}


@pytest.mark.parametrize(
    ("text", "ingredient", "drug_class"),
    [
        ("LymePak", "doxycycline", "tetracycline"),
        ("Okebo 100 mg", "doxycycline", "tetracycline"),
        ("Morgidox 100mg capsules", "doxycycline", "tetracycline"),
        ("Doxy 100", "doxycycline", "tetracycline"),
        ("Alodox 20 mg", "doxycycline", "tetracycline"),
        ("Emrosi 40 mg", "minocycline", "tetracycline"),
        ("Sebomin MR 100mg", "minocycline", "tetracycline"),
        ("Sebact MR", "minocycline", "tetracycline"),
        ("Acnamino MR 100mg capsules", "minocycline", "tetracycline"),
        ("Ledermycin 150mg", "demeclocycline", "tetracycline"),
        ("Hemady 20 mg", "dexamethasone", "corticosteroid"),
        ("Aquasol A 50,000 units", "vitamin a", "vitamin_a"),
    ],
)
def test_the_added_brands_are_read(text: str, ingredient: str, drug_class: str) -> None:
    match = normalise_medication(text, load_knowledge().drugs)
    assert match is not None and match.drug_class is not None
    assert (match.ingredient, match.drug_class.name) == (ingredient, drug_class)


def test_every_brand_is_named_in_its_class_source() -> None:
    for drug_class in load_knowledge().drugs.classes:
        for ingredient in drug_class.ingredients:
            for brand in ingredient.brands:
                assert brand.split()[0] in drug_class.brands_source, (drug_class.name, brand)


# -- reviews of unrecognised names -----------------------------------------------------------------


def unrecognised(**changes: Any) -> str | None:
    """DRUG_UNRECOGNISED's message for BASE with ``changes``, or None when it stays quiet."""
    found = [a for a in evaluate(**changes).alerts if a.code == "DRUG_UNRECOGNISED"]
    return found[0].message if found else None


def test_an_unrecognised_name_blocks_dispense_until_reviewed() -> None:
    assessment = evaluate(**taking("Zqxtrabolin 5 mg"))
    assert "DRUG_UNRECOGNISED" in assessment.dispense.blocking
    assert assessment.dispense.allowed is False
    reviewed = evaluate(**taking("Zqxtrabolin 5 mg"), reviews=[review("Zqxtrabolin 5 mg")])
    assert reviewed.dispense.allowed is True
    assert "DRUG_UNRECOGNISED" not in codes(reviewed)


def test_the_message_says_to_review_the_exact_name() -> None:
    message = unrecognised(**taking("Zqxtrabolin 5 mg"))
    assert message is not None
    assert "'Zqxtrabolin 5 mg'" in message
    assert "review" in message and "Do not prescribe or dispense" in message


@pytest.mark.parametrize(
    "outcome",
    ["not_relevant", "acted_on"],
)
def test_either_outcome_clears(outcome: str) -> None:
    assert (
        unrecognised(**taking("Zqxtrabolin"), reviews=[review("Zqxtrabolin", outcome=outcome)])
        is None
    )


def test_surrounding_white_space_does_not_matter() -> None:
    assert (
        unrecognised(**taking("Zqxtrabolin 5 mg "), reviews=[review("  Zqxtrabolin 5 mg")]) is None
    )


def test_a_review_on_the_start_day_counts() -> None:
    changes = taking("Zqxtrabolin", start="2026-02-20")
    assert unrecognised(**changes, reviews=[review("Zqxtrabolin", day="2026-02-20")]) is None


@pytest.mark.parametrize(
    ("why", "a_review"),
    [
        ("another text", review("Zqxtrabolin")),
        ("another case", review("zqxtrabolin 5 mg")),
        ("dated before the start", review("Zqxtrabolin 5 mg", day="2026-02-19")),
        ("dated after as_of", review("Zqxtrabolin 5 mg", day="2026-03-16")),
        ("recorded by the patient", review("Zqxtrabolin 5 mg", source="patient")),
        ("imported", review("Zqxtrabolin 5 mg", source="import")),
        ("from a lab feed", review("Zqxtrabolin 5 mg", source="lab")),
        ("a symptom review", review("Zqxtrabolin 5 mg", kind="symptom")),
    ],
)
def test_a_review_that_does_not_match_does_not_clear(why: str, a_review: dict[str, Any]) -> None:
    assessment = evaluate(**taking("Zqxtrabolin 5 mg"), reviews=[a_review])
    assert "DRUG_UNRECOGNISED" in assessment.dispense.blocking, why


def test_one_reviewed_name_leaves_the_others_blocking() -> None:
    medications = [
        {"name": "Zqxtrabolin 5 mg", "start": "2026-02-20", "end": None},
        {"name": "Plumbofen", "start": "2026-02-20", "end": None},
    ]
    message = unrecognised(medications=medications, reviews=[review("Zqxtrabolin 5 mg")])
    assert message is not None
    assert "'Plumbofen'" in message and "Zqxtrabolin" not in message


def test_a_restarted_medication_needs_a_new_review() -> None:
    medications = [
        {"name": "Zqxtrabolin", "start": "2026-01-20", "end": "2026-01-31"},
        {"name": "Zqxtrabolin", "start": "2026-03-01", "end": None},
    ]
    old_review = review("Zqxtrabolin", day="2026-01-21")
    assert unrecognised(medications=medications, reviews=[old_review]) is not None
    new_review = review("Zqxtrabolin", day="2026-03-02")
    assert unrecognised(medications=medications, reviews=[new_review]) is None


def test_an_unrecognised_name_on_the_prescription_day_blocks_too() -> None:
    changes = planned("Zqxtrabolin", start="2026-03-01", end="2026-03-10")
    assessment = evaluate(**changes)
    assert "DRUG_UNRECOGNISED" in assessment.dispense.blocking


def test_an_unlisted_topical_tetracycline_brand_blocks_until_reviewed() -> None:
    assert unrecognised(**taking("Amzeeq 4% foam")) is not None
    assert unrecognised(**taking("Amzeeq 4% foam"), reviews=[review("Amzeeq 4% foam")]) is None
