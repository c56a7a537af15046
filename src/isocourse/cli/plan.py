"""``isocourse plan``: a capsule plan from weight, product and mg/kg/day."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from isocourse.cli.common import fail, knowledge
from isocourse.cli.output import Column, print_line, print_listing, stdout_console

if TYPE_CHECKING:
    from rich.console import Console

    from isocourse.knowledge.model import Knowledge
    from isocourse.knowledge.products import ProductLabel
    from isocourse.service.planning import CapsulePlan


class PlanFormat(StrEnum):
    text = "text"
    json = "json"


def plan(
    weight: Annotated[str, typer.Option(help="Body weight with its unit: 62kg or 136lb.")],
    mg_per_kg: Annotated[float, typer.Option(help="Target daily dose in mg/kg/day, e.g. 0.5.")],
    product: Annotated[
        str, typer.Option(help="Product id, e.g. isotretinoin, absorica, absorica-ld.")
    ],
    target: Annotated[
        float | None, typer.Option(help="Cumulative target in mg/kg (default from the knowledge).")
    ] = None,
    output_format: Annotated[
        PlanFormat, typer.Option("--format", help="text or json.")
    ] = PlanFormat.text,
) -> None:
    """Plan the daily dose the product's capsules can make, split morning and evening.

    Shows the mg/kg/day it really gives, the days to the cumulative target, and for each
    capsule strength used the current label(s) that list it: a strength is offered when
    any current label of the product lists it.
    """
    from isocourse.errors import InvalidInput
    from isocourse.service.planning import plan_course_capsules

    known = knowledge()
    weight_kg = parse_weight_kg(weight, known)
    if product not in known.products.products:
        fail(
            f"option '--product': unknown product {product!r}; one of "
            + ", ".join(sorted(known.products.products))
        )
    if not 0 < mg_per_kg <= 10:
        fail("option '--mg-per-kg': must be above 0 (a daily dose in mg/kg, e.g. 0.5)")
    chosen_target = target if target is not None else known.course.target_mg_per_kg.value
    if not chosen_target > 0:  # NaN too
        fail("option '--target': must be above 0 (mg/kg)")
    try:
        result = plan_course_capsules(
            known,
            product,
            weight_kg=weight_kg,
            mg_per_kg_per_day=mg_per_kg,
            target_mg_per_kg=chosen_target,
        )
    except InvalidInput as error:
        fail(f"option --{error.message}")
    if output_format is PlanFormat.json:
        json.dump(plan_to_json(result), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _render(result, known, stdout_console())


def parse_weight_kg(text: str, known: Knowledge) -> float:
    from isocourse.weight_text import weight_kg_from_text

    try:
        return weight_kg_from_text(text, known)
    except ValueError as error:
        fail(f"option --{error}")


def plan_to_json(result: CapsulePlan) -> dict[str, object]:
    return {
        "product": result.product_id,
        "weight_kg": round(result.weight_kg, 2),
        "requested_mg_per_kg_per_day": result.requested_mg_per_kg_per_day,
        "mg_per_day": result.mg_per_day,
        "morning_capsules_mg": list(result.morning),
        "evening_capsules_mg": list(result.evening),
        "mg_per_kg_per_day": result.mg_per_kg_per_day,
        "target_mg_per_kg": result.target_mg_per_kg,
        "days_to_target": result.days_to_target,
        "strength_rule": STRENGTH_RULE,
        "capsule_sources": [
            {"mg": source.mg, "labels": [label_json(label) for label in source.labels]}
            for source in result.sources
        ],
        "one_label_lists_every_strength": bool(result.labels_listing_every_strength),
    }


MIXED_LABELS = (
    "No single current label lists every strength of this plan: the capsules would come "
    "from different manufacturers' products. Check with the pharmacy that they can be "
    "supplied together, or choose a dose one label's strengths can make."
)


STRENGTH_RULE = "a strength is offered when any current label of the product lists it"


def label_json(label: ProductLabel) -> dict[str, object]:
    """A label's citation: who, which document, which version, where to read it."""
    effective = label.effective_date_known
    updated = label.dailymed_updated_known
    return {
        "id": label.id,
        "labeler": label.labeler,
        "title": label.title,
        "set_id": label.set_id,
        "version": label.version,
        "effective_date": effective.isoformat() if effective else "unknown",
        "dailymed_updated": updated.isoformat() if updated else "unknown",
        "url": label.url,
        "unverified": label.unverified or None,
    }


def _render(result: CapsulePlan, known: Knowledge, console: Console) -> None:
    product = known.products.products[result.product_id]
    print_listing(
        console,
        f"{product.name}: {result.mg_per_day:g} mg a day",
        (Column("when", key=True), Column("capsules", key=True), Column("mg", key=True)),
        [
            (when, " + ".join(f"{c:g} mg" for c in capsules), f"{sum(capsules):g}")
            for when, capsules in (("morning", result.morning), ("evening", result.evening))
        ],
        show_lines=False,
    )
    print_line(
        console,
        f"{result.mg_per_kg_per_day:g} mg/kg/day at {result.weight_kg:.1f} kg "
        f"(asked for {result.requested_mg_per_kg_per_day:g}); "
        f"{result.days_to_target} days to {result.target_mg_per_kg:g} mg/kg.",
    )
    print_line(console, f"Capsule strengths ({STRENGTH_RULE}):")
    for source in result.sources:
        for label in source.labels:
            print_line(console, f"  {source.mg:g} mg: {label.citation()}")
    if not result.labels_listing_every_strength:
        print_line(console, f"Note: {MIXED_LABELS}", "bold")
    print_line(console, product.food_text)
    print_line(
        console, "A plan to support the prescriber's decision; check it against the label.", "dim"
    )
