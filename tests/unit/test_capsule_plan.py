"""Capsule arithmetic and the dose plan."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isocourse.knowledge.loader import load_knowledge
from isocourse.rules.capsule_plan import daily_doses, is_composable, plan_capsules

PRODUCTS = load_knowledge().products.products


def test_62_kg_at_half_a_mg_per_kg_on_absorica_gives_30_mg_split_20_and_10() -> None:
    plan = plan_capsules(
        "absorica", PRODUCTS["absorica"], weight_kg=62, mg_per_kg_per_day=0.5, target_mg_per_kg=150
    )
    assert plan.mg_per_day == 30
    assert (plan.morning, plan.evening) == ((20,), (10,))
    assert plan.mg_per_kg_per_day == 0.48
    assert plan.days_to_target == 310  # 150 x 62 = 9300 mg at 30 mg a day


def test_an_even_split_is_preferred() -> None:
    plan = plan_capsules(
        "isotretinoin",
        PRODUCTS["isotretinoin"],
        weight_kg=80,
        mg_per_kg_per_day=1.0,
        target_mg_per_kg=120,
    )
    assert plan.mg_per_day == 80
    assert (plan.morning, plan.evening) == ((40,), (40,))


def test_the_plan_never_exceeds_the_label_maximum() -> None:
    plan = plan_capsules(
        "absorica-ld",
        PRODUCTS["absorica-ld"],
        weight_kg=35,
        mg_per_kg_per_day=1.6,
        target_mg_per_kg=120,
    )
    assert plan.mg_per_day / 35 <= PRODUCTS["absorica-ld"].dose_max_mg_per_kg


def test_amnesteem_makes_60_mg_from_two_30_mg_capsules() -> None:
    plan = plan_capsules(
        "amnesteem",
        PRODUCTS["amnesteem"],
        weight_kg=60,
        mg_per_kg_per_day=1.0,
        target_mg_per_kg=120,
    )
    assert (plan.morning, plan.evening) == ((30,), (30,))
    assert not is_composable(15, PRODUCTS["amnesteem"])


def test_generic_doses_made_with_25_or_35_mg_capsules_are_composable() -> None:
    # the current generic labels list 25 and 35 mg: 35 = 25 + 10, 55 = 30 + 25, 65 = 35 + 30
    for mg in (35, 55, 65):
        assert is_composable(mg, PRODUCTS["isotretinoin"])
    assert not is_composable(42, PRODUCTS["isotretinoin"])


def test_the_plan_names_the_label_each_capsule_strength_comes_from() -> None:
    plan = plan_capsules(
        "isotretinoin",
        PRODUCTS["isotretinoin"],
        weight_kg=70,
        mg_per_kg_per_day=0.8,
        target_mg_per_kg=150,
    )
    assert plan.mg_per_day == 55
    by_mg = {source.mg: [label.id for label in source.labels] for source in plan.sources}
    assert by_mg[25] == ["zydus-isotretinoin-absorica-type"]
    assert "zydus-isotretinoin" in by_mg[30]
    assert [label.id for label in plan.labels_listing_every_strength] == [
        "zydus-isotretinoin-absorica-type"
    ]


def test_a_plan_whose_strengths_no_single_label_lists_says_so() -> None:
    from dataclasses import replace

    generic = PRODUCTS["isotretinoin"]
    split = tuple(
        replace(label, strengths_mg=(25,))
        if label.id == "zydus-isotretinoin-absorica-type"
        else label
        for label in generic.labels
    )
    product = replace(generic, labels=split)
    plan = plan_capsules(
        "isotretinoin", product, weight_kg=70, mg_per_kg_per_day=0.8, target_mg_per_kg=150
    )
    assert {source.mg for source in plan.sources} == {25, 30}
    assert plan.labels_listing_every_strength == ()


@given(product_id=st.sampled_from(sorted(PRODUCTS)))
def test_every_planned_split_adds_up_to_the_daily_dose(product_id: str) -> None:
    product = PRODUCTS[product_id]
    for total, (morning, evening) in daily_doses(product.strengths_mg).items():
        assert sum(morning) + sum(evening) == total
        assert 1 <= len(morning) <= 2 and 1 <= len(evening) <= 2
        assert set(morning) | set(evening) <= set(product.strengths_mg)


@pytest.mark.parametrize("target", [1e306, float("nan"), float("inf")])
def test_a_target_whose_days_cannot_be_counted_is_refused_naming_it(target: float) -> None:
    with pytest.raises(ValueError, match=r"^target: "):
        plan_capsules(
            "isotretinoin",
            PRODUCTS["isotretinoin"],
            weight_kg=300,
            mg_per_kg_per_day=0.5,
            target_mg_per_kg=target,
        )
