"""Rules for laboratory monitoring.

PLACEHOLDER: the owner of this concern replaces this module (keep the function name).
"""

from __future__ import annotations

from datetime import date

from isocourse.assessment import Findings
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord


def assess_labs(record: CourseRecord, knowledge: Knowledge, as_of: date) -> Findings:
    return Findings()
