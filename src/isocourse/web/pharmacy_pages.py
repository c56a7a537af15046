"""The pharmacist's page: prescription id and date of birth in, a clear yes or no out."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from isocourse.errors import BlockingReason, Conflict, InvalidInput, NotFound, Refused
from isocourse.service.dispensing import dispense, verify_prescription
from isocourse.web.rendering import PageRoute, render, signed_in, system
from isocourse.web.session import check_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/pharmacy")
def pharmacy_form(request: Request) -> Response:
    signed_in(request, "pharmacist")
    return render(request, "pharmacy.html", {})


async def _lookup(request: Request) -> tuple[str, str, date]:
    form = await request.form()
    prescription_id = str(form.get("prescription_id", "")).strip()
    birth_text = str(form.get("birth_date", "")).strip()
    try:
        birth_date = date.fromisoformat(birth_text)
    except ValueError as error:
        raise InvalidInput("birth_date", "the date of birth as YYYY-MM-DD") from error
    if not prescription_id:
        raise InvalidInput("prescription_id", "required")
    return prescription_id, birth_text, birth_date


@router.post("/pharmacy")
async def pharmacy_verify(request: Request) -> Response:
    await check_csrf(request)
    _, call = signed_in(request, "pharmacist")
    context: dict[str, Any] = {}
    try:
        prescription_id, birth_text, birth_date = await _lookup(request)
        context = {"prescription_id": prescription_id, "birth_date": birth_text}
        answer = verify_prescription(system(request), call, prescription_id, birth_date)
    except (InvalidInput, NotFound) as error:
        return render(request, "pharmacy.html", {**context, "error": error.message}, status=422)
    return render(request, "pharmacy.html", {**context, "verification": answer})


@router.post("/pharmacy/dispense")
async def pharmacy_dispense(request: Request) -> Response:
    await check_csrf(request)
    _, call = signed_in(request, "pharmacist")
    prescription_id, birth_text, birth_date = await _lookup(request)
    context = {"prescription_id": prescription_id, "birth_date": birth_text}
    try:
        answer = dispense(system(request), call, prescription_id, birth_date)
    except Refused as refusal:
        verification = {"allowed": False, "blocking": refusal.blocking}
        return render(
            request, "pharmacy.html", {**context, "verification": verification}, status=409
        )
    except Conflict as conflict:  # already dispensed, or cancelled by the prescriber
        reason = BlockingReason(conflict.code, "block", conflict.message)
        verification = {"allowed": False, "blocking": [reason]}
        return render(
            request, "pharmacy.html", {**context, "verification": verification}, status=409
        )
    flash = f"Dispense recorded ({answer.dispense['days_supply']} days' supply)."
    return render(request, "pharmacy.html", {**context, "flash": flash})
