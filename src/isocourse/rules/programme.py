"""Rules for pregnancy-prevention programmes and the dispense window (the ``PP_`` alerts
of docs/rules.md).

One rule set judges the record: the one in force on the proposed prescription's date,
or on ``as_of`` when there is none. Every parameter comes from that rule set
(``knowledge/programmes.toml``); no rule set is named here. A patient who cannot get
pregnant gets only the supply, counselling and (where the rule set has one) window
codes; never a pregnancy-test or contraception alert.
"""

from __future__ import annotations

from datetime import date, timedelta

from isocourse.assessment import Findings
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord
from isocourse.rules.course_facts import last_dose_day
from isocourse.rules.programme_case import ProgrammeCase, Verdicts
from isocourse.rules.programme_confirmation import judge_confirmation, judge_lockout
from isocourse.rules.programme_contraception import judge_contraception
from isocourse.rules.programme_counselling import (
    judge_counselling,
    judge_mental_health,
    judge_second_prescriber,
    judge_supply,
)
from isocourse.rules.programme_due import due_tasks
from isocourse.rules.programme_ruleset import ruleset_for
from isocourse.rules.programme_tests import (
    judge_positive,
    judge_qualifying_test,
    judge_window,
    window_closes,
)


def assess_programme(record: CourseRecord, knowledge: Knowledge, as_of: date) -> Findings:
    ruleset = ruleset_for(record, knowledge, as_of)
    if ruleset is None:
        return Findings()
    case = ProgrammeCase(record, knowledge, as_of, ruleset)
    verdicts = _ruleset_check(case)
    if case.can_get_pregnant:
        verdicts.extend(_pregnancy_prevention(case))
    if case.judges_prescription:
        # The second-prescriber and mental-health rules name their categories in data.
        for judge in (
            judge_counselling,
            judge_second_prescriber,
            judge_mental_health,
            judge_supply,
            judge_window,
        ):
            verdicts.extend(judge(case))
    closes = window_closes(case) if case.judges_prescription else None
    return Findings(
        alerts=tuple(verdicts.alerts),
        due=tuple(due_tasks(case, closes)),
        checks=tuple(verdicts.checks),
        window_closes=closes,
    )


def _pregnancy_prevention(case: ProgrammeCase) -> Verdicts:
    """Tests and contraception: for a patient who can get pregnant only."""
    verdicts = judge_positive(case)
    if case.judges_prescription:
        for judge in (judge_qualifying_test, judge_confirmation, judge_lockout):
            verdicts.extend(judge(case))
    if _contraception_required(case):
        verdicts.extend(judge_contraception(case))
    return verdicts


def _contraception_required(case: ProgrammeCase) -> bool:
    """While a prescription is judged, and after the course until the last
    post-course pregnancy test (decision: no end is set otherwise; the programmes ask
    for contraception for a month after the last dose)."""
    if case.judges_prescription:
        return True
    last = last_dose_day(case.record)
    days_after = [t.days_after_last_dose for t in case.ruleset.post_course.tests]
    return last is not None and case.as_of <= last + timedelta(days=max(days_after, default=0))


def _ruleset_check(case: ProgrammeCase) -> Verdicts:
    verdicts = Verdicts()
    ruleset = case.ruleset
    day = case.prescription_day
    in_force = ruleset.in_force_on(day) and ruleset == case.knowledge.programmes.ruleset_on(
        ruleset.programme, day
    )
    judged_on = "proposed_prescription" if case.record.proposed_prescription else "as_of"
    category = "can" if case.can_get_pregnant else "cannot"
    verdicts.check(
        f"rule set {ruleset.id} is in force on {day.isoformat()}",
        in_force,
        f"{judged_on}: {day.isoformat()}; patient.can_get_pregnant: {category} get pregnant",
        ruleset.source,
    )
    return verdicts
