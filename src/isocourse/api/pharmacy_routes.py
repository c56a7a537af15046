"""The pharmacist: verify a prescription by its id and the patient's birth date; dispense."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter

from isocourse.api.errors import DATABASE_UNAVAILABLE, ERROR_RESPONSES
from isocourse.api.responses import DispensedOut, VerificationOut
from isocourse.api.schemas import DispenseIn, day_query
from isocourse.api.wiring import ReadCaller, WiringDep, WriteCall
from isocourse.service.dispensing import dispense, verify_prescription_async

router = APIRouter(prefix="/prescriptions", tags=["pharmacy"], responses=ERROR_RESPONSES)


@router.get("/{prescription_id}/verification", responses={503: DATABASE_UNAVAILABLE})
async def get_verification(
    prescription_id: str,
    birth_date: Annotated[date, day_query("the patient's date of birth")],
    wired: WiringDep,
    caller: ReadCaller,
) -> VerificationOut:
    """May this prescription be dispensed today? (pharmacist)"""
    # The pharmacist's hot path (benchmarks/RESULTS.md, bench_verify_load).
    verification = await verify_prescription_async(
        wired.system, caller, prescription_id, birth_date
    )
    return VerificationOut.of(verification)


@router.post("/{prescription_id}/dispenses", status_code=201)
def post_dispense(
    prescription_id: str, body: DispenseIn, wired: WiringDep, call: WriteCall
) -> DispensedOut:
    """Dispense (pharmacist): re-checked today; 409 when blocked or already dispensed."""
    return DispensedOut.of(dispense(wired.system, call, prescription_id, body.birth_date))
