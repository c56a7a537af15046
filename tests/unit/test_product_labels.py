"""Product data from the current labels: strengths, excipient allergens, citations."""

from __future__ import annotations

import dataclasses
import re

import pytest

from isocourse.knowledge.loader import load_knowledge
from isocourse.knowledge.products import UNKNOWN

KNOWLEDGE = load_knowledge()
PRODUCTS = KNOWLEDGE.products.products
US_PRODUCTS = ["isotretinoin", "claravis", "amnesteem", "myorisan"]


# -- the corrections (each of these failed on the data before 2026-12) -------------------------


def test_generic_isotretinoin_offers_the_25_and_35_mg_strengths_of_current_labels() -> None:
    assert set(PRODUCTS["isotretinoin"].strengths_mg) == {10, 20, 25, 30, 35, 40}


def test_amnesteem_offers_30_mg() -> None:
    assert set(PRODUCTS["amnesteem"].strengths_mg) == {10, 20, 30, 40}


@pytest.mark.parametrize("product_id", US_PRODUCTS)
def test_no_paraben_for_products_whose_current_labels_list_none(product_id: str) -> None:
    assert "parabens" not in PRODUCTS[product_id].excipient_allergens


def test_zenatane_keeps_its_parabens() -> None:
    assert "parabens" in PRODUCTS["zenatane"].excipient_allergens


def test_peanut_is_no_product_excipient_but_a_cross_reaction_with_soya_oil() -> None:
    assert all("peanut" not in p.excipient_allergens for p in PRODUCTS.values())
    (reaction,) = KNOWLEDGE.conditions.cross_reactions
    assert (reaction.allergy, reaction.excipient_allergen) == ("peanut", "soy")
    assert set(reaction.programmes) >= {"eu-ppp", "uk-mhra"}
    assert "us-ipledge" not in reaction.programmes
    assert "4.3" in reaction.source


# -- what stays -------------------------------------------------------------------------------


@pytest.mark.parametrize("product_id", sorted(PRODUCTS))
def test_soybean_oil_is_in_every_product(product_id: str) -> None:
    assert "soy" in PRODUCTS[product_id].excipient_allergens


def test_absorica_keeps_tartrazine_from_its_25_mg_capsule() -> None:
    assert set(PRODUCTS["absorica"].excipient_allergens) == {"soy", "tartrazine"}


def test_absorica_and_absorica_ld_cite_one_label_document() -> None:
    (absorica,) = PRODUCTS["absorica"].labels
    (ld,) = PRODUCTS["absorica-ld"].labels
    assert absorica.id == ld.id
    assert set(absorica.strengths_mg).isdisjoint({8, 16, 24, 28, 32})


# -- the citations ----------------------------------------------------------------------------


def all_labels() -> list[tuple[str, object]]:
    return [(pid, label) for pid, p in PRODUCTS.items() for label in p.labels]


@pytest.mark.parametrize(
    ("product_id", "label"), all_labels(), ids=[f"{p}-{lab.id}" for p, lab in all_labels()]
)
def test_every_label_is_cited_with_a_link_and_what_pins_it(product_id: str, label: object) -> None:
    from isocourse.knowledge.products import ProductLabel

    assert isinstance(label, ProductLabel)
    assert label.url.startswith("https://")
    pinned = [label.set_id_known, label.version_known, label.effective_date_known]
    pinned.append(label.dailymed_updated_known)
    assert any(value is not None for value in pinned) or label.unverified
    if label.set_id != UNKNOWN:
        assert re.fullmatch(r"[0-9a-f-]{36}", label.set_id)
        assert label.set_id in label.url or label.set_id in label.source
    assert label.source.strip()


def test_a_strength_comes_from_the_labels_that_list_it() -> None:
    generic = PRODUCTS["isotretinoin"]
    assert [label.id for label in generic.labels_for_strength(25)] == [
        "zydus-isotretinoin-absorica-type"
    ]
    assert len(generic.labels_for_strength(30)) == 2
    assert generic.labels_for_strength(15) == ()


def test_the_sources_shown_to_users_name_every_cited_label() -> None:
    generic = PRODUCTS["isotretinoin"]
    for label in generic.labels:
        assert label.url in generic.strengths_source
        assert label.url in generic.excipients_source
    assert "any current label lists it" in generic.strengths_source


# -- the loader refuses inconsistent label data -----------------------------------------------


def test_a_label_whose_excipients_carry_an_allergen_it_does_not_list_is_refused() -> None:
    claravis = PRODUCTS["claravis"]
    (label,) = claravis.labels
    wrong = dataclasses.replace(label, excipients=(*label.excipients, "methylparaben"))
    problems = _problems_with("claravis", dataclasses.replace(claravis, labels=(wrong,)))
    assert any("carry ['parabens', 'soy']" in p for p in problems)


def test_a_label_with_nothing_that_pins_it_is_refused() -> None:
    claravis = PRODUCTS["claravis"]
    (label,) = claravis.labels
    loose = dataclasses.replace(label, set_id=UNKNOWN)
    problems = _problems_with("claravis", dataclasses.replace(claravis, labels=(loose,)))
    assert any("cite the set id, the version" in p for p in problems)


def test_the_shipped_product_data_has_no_problems() -> None:
    assert KNOWLEDGE.products.problems(KNOWLEDGE) == []
    assert KNOWLEDGE.conditions.problems(KNOWLEDGE) == []


def _problems_with(product_id: str, product: object) -> list[str]:
    catalogue = dataclasses.replace(KNOWLEDGE.products, products={**PRODUCTS, product_id: product})
    knowledge = dataclasses.replace(KNOWLEDGE, products=catalogue)
    return catalogue.problems(knowledge)


# -- reading allergens from an ingredient list ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HYDROGENATED SOYBEAN OIL POLYSORBATE 80", {"soy": ("SOYBEAN",)}),
        ("Refined soya-bean oil", {"soy": ("SOYA",)}),
        ("SOYBEANS, SOY LECITHIN", {"soy": ("SOYBEANS", "SOY")}),
        ("GELATIN METHYLPARABEN PROPYLPARABEN", {"parabens": ("METHYLPARABEN", "PROPYLPARABEN")}),
        ("FD&C BLUE NO. 1 FD&C YELLOW NO. 5 FD&C YELLOW NO. 6", {"tartrazine": ("YELLOW NO. 5",)}),
        ("FD&C YELLOW NO. 6 D&C YELLOW NO. 10", {}),
        ("ARACHIS OIL", {"peanut": ("ARACHIS",)}),
        ("GLYCERIN WATER SORBITAN MONOOLEATE", {}),
        ("FD&C YELLOW NO. 50", {}),
    ],
)
def test_allergens_are_read_from_whole_words(text: str, expected: dict[str, object]) -> None:
    assert KNOWLEDGE.conditions.allergens_in([text]) == expected
