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


TARGET_WORDS = "target: enter a cumulative target in mg/kg, above 0"
#: each field's label on the form, to name it in an error ("Body weight: ...")
LABELS = {
    "weight": "Body weight",
    "product": "Product",
    "mg_per_kg": "Target dose",
    "target": "Cumulative target",
}


def in_words(problem: str) -> str:
    """``weight: a weight with its unit`` as the form names it: ``Body weight: enter a
    weight with its unit``."""
    name, _, detail = problem.partition(": ")
    if name not in LABELS or not detail:
        return problem
    if not detail.startswith(("enter", "choose", "not")):
        detail = f"enter {detail}"
    return f"{LABELS[name]}: {detail}"


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
        dose_words = (
            f"mg_per_kg: enter a dose in mg/kg/day above 0 and at most "
            f"{product.dose_max_mg_per_kg:g}"
        )
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
        context["error"] = in_words(str(error))
        return render(request, "planner.html", context, status=422)
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
