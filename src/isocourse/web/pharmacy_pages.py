"""The pharmacist's page: find the prescription (by its id, or by the patient's name),
always with the patient's date of birth; a clear yes or no with what to hand over; then
the dispense."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from isocourse.errors import BlockingReason, Conflict, InvalidInput, NotFound, Refused
from isocourse.service.dispensing import dispense
from isocourse.service.pharmacy_counter import (
    CapsuleCount,
    CounterCheck,
    find_patients,
    verify_at_counter,
)
from isocourse.web.prescribing_view import STATE_WORDS, reasons
from isocourse.web.rendering import PageRoute, render, signed_in, system
from isocourse.web.session import check_csrf
from isocourse.words import mg

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: what every pharmacy page may show: each prescription state in words
_WORDS: dict[str, Any] = {"state_words": STATE_WORDS}


def _page(request: Request, context: dict[str, Any], *, status: int = 200) -> Response:
    return render(request, "pharmacy.html", {**_WORDS, **context}, status=status)


@router.get("/pharmacy")
def pharmacy_form(request: Request) -> Response:
    signed_in(request, "pharmacist")
    return _page(request, {})


def _birth_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise InvalidInput("birth_date", "the date of birth as YYYY-MM-DD") from error


async def _lookup(request: Request) -> tuple[str, str, date]:
    form = await request.form()
    prescription_id = str(form.get("prescription_id", "")).strip()
    birth_text = str(form.get("birth_date", "")).strip()
    birth_date = _birth_date(birth_text)
    if not prescription_id:
        raise InvalidInput("prescription_id", "required")
    return prescription_id, birth_text, birth_date


@router.post("/pharmacy/search")
async def pharmacy_search(request: Request) -> Response:
    """The patients of the pharmacist's clinic with this name and birth date, and their
    prescriptions (an open one can be verified from here)."""
    await check_csrf(request)
    _, call = signed_in(request, "pharmacist")
    form = await request.form()
    name = str(form.get("name", "")).strip()
    birth_text = str(form.get("birth_date", "")).strip()
    context: dict[str, Any] = {"search_name": name, "search_birth_date": birth_text}
    try:
        found = find_patients(system(request), call, name, _birth_date(birth_text))
    except InvalidInput as error:
        return _page(request, {**context, "search_error": _words(error)}, status=422)
    return _page(request, {**context, "found": found, "searched": True})


def _words(error: InvalidInput) -> str:
    label = {"name": "Name", "birth_date": "Date of birth"}.get(error.field, error.field)
    return f"{label}: {error.message.removeprefix(f'{error.field}: ')}"


def _verification(request: Request, check: CounterCheck) -> dict[str, Any]:
    found = check.verification
    return {
        "allowed": found.allowed,
        "already_dispensed": found.already_dispensed,
        "cancelled": found.cancelled,
        "check": check,
        "capsules": capsule_lines(check.capsules),
        "reasons": reasons(found.blocking, system(request).knowledge),
    }


@router.post("/pharmacy")
async def pharmacy_verify(request: Request) -> Response:
    await check_csrf(request)
    _, call = signed_in(request, "pharmacist")
    context: dict[str, Any] = {}
    try:
        prescription_id, birth_text, birth_date = await _lookup(request)
        context = {"prescription_id": prescription_id, "birth_date": birth_text}
        check = verify_at_counter(system(request), call, prescription_id, birth_date)
    except (InvalidInput, NotFound) as error:
        return _page(request, {**context, "error": error.message}, status=422)
    return _page(request, {**context, "verification": _verification(request, check)})


@router.post("/pharmacy/dispense")
async def pharmacy_dispense(request: Request) -> Response:
    await check_csrf(request)
    _, call = signed_in(request, "pharmacist")
    prescription_id, birth_text, birth_date = await _lookup(request)
    context = {"prescription_id": prescription_id, "birth_date": birth_text}
    known = system(request).knowledge
    try:
        answer = dispense(system(request), call, prescription_id, birth_date)
    except Refused as refusal:
        verification = {"allowed": False, "reasons": reasons(refusal.blocking, known)}
        return _page(request, {**context, "verification": verification}, status=409)
    except Conflict as conflict:  # already dispensed, or cancelled by the prescriber
        reason = BlockingReason(conflict.code, "block", conflict.message)
        verification = {"allowed": False, "reasons": reasons([reason], known)}
        return _page(request, {**context, "verification": verification}, status=409)
    check = verify_at_counter(system(request), call, prescription_id, birth_date)
    flash = f"Dispense recorded ({answer.dispense['days_supply']} days' supply)."
    handed = {"check": check, "capsules": capsule_lines(check.capsules)}
    return _page(request, {**context, "flash": flash, "handed_over": handed})


def capsule_lines(capsules: Sequence[CapsuleCount]) -> list[str]:
    """What to hand over, one line per capsule strength."""
    lines = []
    for count in capsules:
        each = "capsule" if count.for_supply == 1 else "capsules"
        lines.append(
            f"{count.for_supply} {each} of {mg(count.strength_mg)} mg: {count.per_day} a day "
            f"({count.morning} in the morning, {count.evening} in the evening)"
        )
    return lines
