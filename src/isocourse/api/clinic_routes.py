"""The clinic's work-list and the stateless evaluation of a course record."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from isocourse.api.errors import ERROR_RESPONSES
from isocourse.api.schemas import CourseRecordBody
from isocourse.api.wiring import ReadCall, WiringDep
from isocourse.assessment_json import assessment_to_json
from isocourse.errors import InvalidInput
from isocourse.record_parser import RecordError, course_record_from_json
from isocourse.rules import assess
from isocourse.service.reading import read_worklist

router = APIRouter(tags=["clinic"], responses=ERROR_RESPONSES)


@router.get("/worklist")
def get_worklist(wired: WiringDep, call: ReadCall) -> list[dict[str, Any]]:
    """The clinic's patients ordered by what needs action today (prescriber)."""
    return read_worklist(wired.system, call)


@router.post("/evaluate")
def evaluate(
    wired: WiringDep,
    call: ReadCall,
    record: CourseRecordBody,
) -> dict[str, Any]:
    """Evaluate a course record without storing it (any signed-in user)."""
    try:
        parsed = course_record_from_json(record, wired.system.knowledge, today=call.today)
    except RecordError as error:
        raise InvalidInput(error.field, error.message) from error
    return assessment_to_json(assess(parsed, wired.system.knowledge, as_of=parsed.as_of))
