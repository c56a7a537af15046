"""Re-evaluating a record on the server before a prescription or a dispense (fails closed)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

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


@dataclass(frozen=True)
class Decision:
    """What the rules decide about a prescription today: whether it may be written or
    dispensed, what blocks it (each alert's code, severity and words) and the last day
    of its dispense window."""

    allowed: bool
    blocking: tuple[BlockingReason, ...]
    window_closes: date | None


def decision_of(assessment: Assessment) -> Decision:
    return Decision(
        assessment.dispense.allowed,
        tuple(blocking_reasons(assessment)),
        assessment.dispense.window_closes,
    )
