"""Re-evaluating a record on the server before a prescription or a dispense (fails closed)."""

from __future__ import annotations

import logging
from typing import Any

from isocourse.assessment import Assessment
from isocourse.errors import BlockingReason, Refused
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord
from isocourse.rules import assess

_log = logging.getLogger(__name__)


def assess_closed(record: CourseRecord, knowledge: Knowledge) -> Assessment:
    """Assess, turning any failure of the check into a refusal (never a silent yes)."""
    try:
        return assess(record, knowledge, as_of=record.as_of)
    except Exception:
        _log.exception("the rules failed on a record; refusing")
        reason = BlockingReason(
            "CHECK_FAILED", "block", "The safety check could not run; nothing may be issued."
        )
        raise Refused("the safety check could not run, so this is refused", [reason]) from None


def blocking_reasons(assessment: Assessment) -> list[BlockingReason]:
    codes = set(assessment.dispense.blocking)
    reasons = [
        BlockingReason(alert.code, alert.severity, alert.message)
        for alert in assessment.alerts
        if alert.code in codes
    ]
    named = {reason.code for reason in reasons}
    reasons += [BlockingReason(code, "block", code) for code in sorted(codes - named)]
    return reasons


def refuse_unless_allowed(assessment: Assessment, what: str) -> None:
    if assessment.dispense.allowed and not assessment.dispense.blocking:
        return
    reasons = blocking_reasons(assessment) or [
        BlockingReason("NOT_ALLOWED", "block", "The rules do not allow this.")
    ]
    raise Refused(f"the rules do not allow this {what}", reasons)


def decision_json(assessment: Assessment) -> dict[str, Any]:
    closes = assessment.dispense.window_closes
    return {
        "allowed": assessment.dispense.allowed,
        "blocking": [vars(reason) for reason in blocking_reasons(assessment)],
        "window_closes": closes.isoformat() if closes else None,
    }
