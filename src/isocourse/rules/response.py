"""Response to treatment: the label allows stopping early when nodules fall by more than 70%."""

from __future__ import annotations

from datetime import date

from isocourse.assessment import Findings
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord
from isocourse.rules.alerting import raise_alert
from isocourse.rules.course_facts import on_or_before


def assess_response(record: CourseRecord, knowledge: Knowledge, as_of: date) -> Findings:
    counted = [v for v in on_or_before(record.acne_assessments, as_of) if v.nodules is not None]
    if len(counted) < 2:
        return Findings()
    first, latest = counted[0].nodules, counted[-1].nodules
    assert first is not None and latest is not None  # filtered above
    if first == 0:
        return Findings()
    reduction = (first - latest) / first
    if reduction <= knowledge.course.nodule_reduction_fraction.value:
        return Findings()
    alert = raise_alert(
        knowledge,
        "RESPONSE_NODULES_REDUCED",
        first=first,
        latest=latest,
        reduction=round(reduction * 100),
    )
    return Findings(alerts=(alert,))
