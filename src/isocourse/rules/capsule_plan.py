"""Capsule arithmetic: which daily doses a product's capsules can make, and a dose plan.

A daily dose is given as two doses (morning and evening, per the US labels); each
dose is one or two capsules of the product's strengths (alert DOSE_NOT_COMPOSABLE).
A strength is offered when any current label of the product lists it; the plan names,
for each capsule strength it uses, the labels that list it (:attr:`CapsulePlan.sources`),
because a strength one manufacturer makes may not be on the pharmacy's shelf.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from itertools import combinations_with_replacement

from isocourse.knowledge.products import Product, ProductLabel

Capsules = tuple[float, ...]


@dataclass(frozen=True)
class StrengthSource:
    """A capsule strength the plan uses and the current labels that list it."""

    mg: float
    labels: tuple[ProductLabel, ...]


@dataclass(frozen=True)
class CapsulePlan:
    product_id: str
    weight_kg: float
    requested_mg_per_kg_per_day: float
    mg_per_day: float
    morning: Capsules
    evening: Capsules
    mg_per_kg_per_day: float
    target_mg_per_kg: float
    days_to_target: int
    sources: tuple[StrengthSource, ...] = ()

    @property
    def labels_listing_every_strength(self) -> tuple[ProductLabel, ...]:
        """The labels that list every capsule strength of the plan (empty: mixed labels)."""
        if not self.sources:
            return ()
        common = list(self.sources[0].labels)
        return tuple(
            label for label in common if all(label in source.labels for source in self.sources[1:])
        )


@cache
def _single_doses(strengths: tuple[float, ...]) -> dict[float, tuple[Capsules, ...]]:
    """Every dose one or two capsules can make, with the capsule sets that make it."""
    doses: dict[float, list[Capsules]] = {}
    for count in (1, 2):
        for capsules in combinations_with_replacement(sorted(strengths, reverse=True), count):
            doses.setdefault(sum(capsules), []).append(capsules)
    return {dose: tuple(sets) for dose, sets in doses.items()}


@cache
def daily_doses(strengths: tuple[float, ...]) -> dict[float, tuple[Capsules, Capsules]]:
    """Every daily total ``a + b`` with its most even, fewest-capsule morning/evening split."""
    singles = _single_doses(strengths)
    best: dict[float, tuple[Capsules, Capsules]] = {}
    for morning_mg, evening_mg in combinations_with_replacement(sorted(singles), 2):
        morning_mg, evening_mg = max(morning_mg, evening_mg), min(morning_mg, evening_mg)
        morning = min(singles[morning_mg], key=len)
        evening = min(singles[evening_mg], key=len)
        total = morning_mg + evening_mg
        if total not in best or _split_cost(morning, evening) < _split_cost(*best[total]):
            best[total] = (morning, evening)
    return best


def _split_cost(morning: Capsules, evening: Capsules) -> tuple[float, int]:
    return (abs(sum(morning) - sum(evening)), len(morning) + len(evening))


def is_composable(mg_per_day: float, product: Product) -> bool:
    return _key(mg_per_day) in daily_doses(product.strengths_mg)


def nearest_composable(
    mg_per_day: float, product: Product, *, ceiling: float | None = None
) -> float:
    """The composable daily dose nearest ``mg_per_day`` (the lower one on a tie)."""
    totals = [t for t in daily_doses(product.strengths_mg) if ceiling is None or t <= ceiling]
    if not totals:
        totals = [min(daily_doses(product.strengths_mg))]
    return min(totals, key=lambda total: (abs(total - mg_per_day), total))


def plan_capsules(
    product_id: str,
    product: Product,
    *,
    weight_kg: float,
    mg_per_kg_per_day: float,
    target_mg_per_kg: float,
    cumulative_mg: float = 0.0,
) -> CapsulePlan:
    """The daily dose the capsules can make nearest the requested mg/kg/day. ValueError
    naming the field when the target leaves no number of days to count."""
    ceiling = product.dose_max_mg_per_kg * weight_kg
    mg_per_day = nearest_composable(mg_per_kg_per_day * weight_kg, product, ceiling=ceiling)
    morning, evening = daily_doses(product.strengths_mg)[mg_per_day]
    remaining = target_mg_per_kg * weight_kg - cumulative_mg
    if not math.isfinite(remaining):  # NaN, or a target like 1e306 mg/kg
        raise ValueError("target: a cumulative target in mg/kg whose days can be counted")
    remaining_mg = max(0.0, remaining)
    return CapsulePlan(
        product_id=product_id,
        weight_kg=weight_kg,
        requested_mg_per_kg_per_day=mg_per_kg_per_day,
        mg_per_day=mg_per_day,
        morning=morning,
        evening=evening,
        mg_per_kg_per_day=round(mg_per_day / weight_kg, 2),
        target_mg_per_kg=target_mg_per_kg,
        days_to_target=math.ceil(round(remaining_mg) / mg_per_day),
        sources=tuple(
            StrengthSource(mg, product.labels_for_strength(mg))
            for mg in sorted(set(morning) | set(evening))
        ),
    )


def _key(mg: float) -> float:
    """Doses are whole or half milligrams; compare them without float noise."""
    return round(mg * 2) / 2
