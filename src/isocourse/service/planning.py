"""Planning a course's capsules: weight, product and mg/kg/day in; the daily dose the
product's capsules can make, split morning and evening, and the days to the target out
(``isocourse plan`` and the prescriber's planner page)."""

from __future__ import annotations

from isocourse.errors import InvalidInput
from isocourse.knowledge.model import Knowledge
from isocourse.rules.capsule_plan import CapsulePlan, StrengthSource, plan_capsules

__all__ = ["CapsulePlan", "StrengthSource", "plan_course_capsules"]


def plan_course_capsules(
    knowledge: Knowledge,
    product_id: str,
    *,
    weight_kg: float,
    mg_per_kg_per_day: float,
    target_mg_per_kg: float,
) -> CapsulePlan:
    """The capsule plan nearest the requested mg/kg/day; InvalidInput naming the field
    for a product the knowledge does not have, or a target whose days cannot be counted."""
    product = knowledge.products.products.get(product_id)
    if product is None:
        choices = ", ".join(sorted(knowledge.products.products))
        raise InvalidInput("product", f"unknown product {product_id!r}; one of {choices}")
    try:
        return plan_capsules(
            product_id,
            product,
            weight_kg=weight_kg,
            mg_per_kg_per_day=mg_per_kg_per_day,
            target_mg_per_kg=target_mg_per_kg,
        )
    except ValueError as error:  # the rule names the field: "target: ..."
        field, _, words = str(error).partition(": ")
        raise InvalidInput(field, words) from error
