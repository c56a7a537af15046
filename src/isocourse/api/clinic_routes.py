"""The clinic's work-list and the stateless evaluation of a course record."""

from __future__ import annotations

from fastapi import APIRouter

from isocourse.api.errors import ERROR_RESPONSES
from isocourse.api.responses import WorklistRowOut, assessment_json
from isocourse.api.schemas import CourseRecordBody
from isocourse.api.wiring import ReadCall, WiringDep
from isocourse.formats import AssessmentJson
from isocourse.service.evaluation import evaluate_document
from isocourse.service.views import read_worklist

router = APIRouter(tags=["clinic"], responses=ERROR_RESPONSES)


@router.get("/worklist")
def get_worklist(wired: WiringDep, call: ReadCall) -> list[WorklistRowOut]:
    """The clinic's patients ordered by what needs action today (prescriber)."""
    return [WorklistRowOut.of(row) for row in read_worklist(wired.system, call)]


@router.post("/evaluate")
def evaluate(
    wired: WiringDep,
    call: ReadCall,
    record: CourseRecordBody,
) -> AssessmentJson:
    """Evaluate a course record without storing it (any signed-in user)."""
    evaluation = evaluate_document(record, wired.system.knowledge, today=call.today)
    return assessment_json(evaluation.assessment)
