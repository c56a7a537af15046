"""Which programme rule set judges a record (knowledge/programmes.toml).

One rule set applies per assessment: the one in force on the proposed
prescription's date, or on ``as_of`` when there is none.
"""

from __future__ import annotations

from datetime import date

from isocourse.knowledge.model import Knowledge
from isocourse.knowledge.programmes import RuleSet
from isocourse.record import CourseRecord
from isocourse.rules.course_facts import prescription_day


def ruleset_for(record: CourseRecord, knowledge: Knowledge, as_of: date) -> RuleSet | None:
    """The rule set judging ``record``; None under programme ``none``.

    Decision (no source says): a day before a programme's earliest known rule set
    is judged by that earliest rule set, so a programme record is never left unjudged.
    """
    if record.programme == "none":
        return None
    catalogue = knowledge.programmes
    day = prescription_day(record, as_of)
    return catalogue.ruleset_on(record.programme, day) or catalogue.earliest(record.programme)
