"""The capsule planner: weight, product and mg/kg/day in; the capsule plan out."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from isocourse.errors import InvalidInput
from isocourse.service.planning import plan_course_capsules
from isocourse.web.rendering import PageRoute, render, signed_in, system
from isocourse.web.session import check_csrf
from isocourse.weight_text import weight_kg_from_text

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _context(request: Request, form: dict[str, str]) -> dict[str, Any]:
    known = system(request).knowledge
    products = [(key, p.name) for key, p in sorted(known.products.products.items())]
    return {
        "products": products,
        "form": form,
        "default_target": f"{known.course.target_mg_per_kg.value:g}",
    }


TARGET_WORDS = "target: a cumulative target above 0 mg/kg"


def _number(text: str, words: str) -> float:
    """A finite number from the form, else ValueError with ``words`` (naming the field)."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(words) from None
    if not math.isfinite(value):
        raise ValueError(words)
    return value


@router.get("/planner")
def planner_form(request: Request) -> Response:
    signed_in(request, "prescriber")
    return render(request, "planner.html", _context(request, {"product": "isotretinoin"}))


@router.post("/planner")
async def planner(request: Request) -> Response:
    await check_csrf(request)
    signed_in(request, "prescriber")
    form = {key: str(value) for key, value in (await request.form()).items()}
    context = _context(request, form)
    known = system(request).knowledge
    try:
        weight_kg = weight_kg_from_text(form.get("weight", ""), known)
        product = known.products.products.get(form.get("product", ""))
        if product is None:
            raise ValueError("product: choose a product from the list")
        dose_words = f"mg_per_kg: a dose above 0 and at most {product.dose_max_mg_per_kg:g}"
        mg_per_kg = _number(form.get("mg_per_kg", ""), dose_words)
        if not 0 < mg_per_kg <= product.dose_max_mg_per_kg:
            raise ValueError(dose_words)
        default_target = f"{known.course.target_mg_per_kg.value}"
        target = _number(form.get("target") or default_target, TARGET_WORDS)
        if target <= 0:
            raise ValueError(TARGET_WORDS)
        plan = plan_course_capsules(
            known,
            form["product"],
            weight_kg=weight_kg,
            mg_per_kg_per_day=mg_per_kg,
            target_mg_per_kg=target,
        )
    except (ValueError, InvalidInput) as error:
        return render(request, "planner.html", {**context, "error": str(error)}, status=422)
    plan_view = {
        **vars(plan),
        "morning": [f"{c:g}" for c in plan.morning],
        "evening": [f"{c:g}" for c in plan.evening],
    }
    plan_view["morning_mg"] = f"{sum(plan.morning):g}"
    plan_view["evening_mg"] = f"{sum(plan.evening):g}"
    plan_view["mg_text"] = f"{plan.mg_per_day:g}"
    return render(
        request, "planner.html", {**context, "plan": plan_view, "food_text": product.food_text}
    )
