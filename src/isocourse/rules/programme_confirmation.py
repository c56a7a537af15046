"""Before the first prescription under a rule set with a confirmation rule (iPLEDGE):
a screening test, a confirmation test, and the lockout after a missed first window.
"""

from __future__ import annotations

from datetime import date, timedelta

from isocourse.knowledge.programmes import ConfirmationRules
from isocourse.record import PregnancyTest
from isocourse.rules.contraception import qualifying_contraception
from isocourse.rules.programme_case import (
    ProgrammeCase,
    Verdicts,
    test_evidence,
    test_text,
    window_end,
)


def screening_tests(case: ProgrammeCase, rules: ConfirmationRules) -> list[PregnancyTest]:
    """Negative tests in a screening setting, oldest first."""
    return [
        t
        for t in case.tests_known()
        if t.result == "negative" and t.setting in rules.screening_settings
    ]


def confirmation_candidates(case: ProgrammeCase, rules: ConfirmationRules) -> list[PregnancyTest]:
    """Negative tests in a confirmation setting at least ``min_days_after_screening``
    after the first negative screening test, oldest first."""
    screenings = screening_tests(case, rules)
    if not screenings:
        return []
    first_screening = screenings[0].date
    return [
        t
        for t in case.tests_known()
        if t.result == "negative"
        and t.setting in rules.confirmation_settings
        and (t.date - first_screening).days >= rules.min_days_after_screening
    ]


def confirmation_tests(case: ProgrammeCase, rules: ConfirmationRules) -> list[PregnancyTest]:
    """Candidates taken after ``lead_days`` of qualifying contraception."""
    return [
        t for t in confirmation_candidates(case, rules) if _contraception_lead_met(case, t.date)
    ]


def _contraception_lead_met(case: ProgrammeCase, day: date) -> bool:
    scheme = case.ruleset.contraception
    found = qualifying_contraception(case.record.contraception, scheme, day)
    return found is not None and (day - found.since).days >= scheme.lead_days


def judge_confirmation(case: ProgrammeCase) -> Verdicts:
    """PP_CONFIRMATION_TEST_MISSING: first prescription without both tests."""
    verdicts = Verdicts()
    rules = case.ruleset.confirmation
    if rules is None or not case.is_first:
        return verdicts
    confirmed = confirmation_tests(case, rules)
    evidence = test_evidence(case.record, confirmed[-1]) if confirmed else _missing(case, rules)
    condition = "a screening test and a confirmation test precede the first prescription"
    if not verdicts.check(condition, bool(confirmed), evidence, rules.source):
        verdicts.alerts.append(
            case.alert(
                "PP_CONFIRMATION_TEST_MISSING",
                missing=_missing(case, rules),
                settings=", ".join(rules.confirmation_settings),
                min_days=rules.min_days_after_screening,
                lead_days=case.ruleset.contraception.lead_days,
            )
        )
    return verdicts


def _missing(case: ProgrammeCase, rules: ConfirmationRules) -> str:
    screenings = screening_tests(case, rules)
    if not screenings:
        settings = ", ".join(rules.screening_settings)
        return f"no negative screening test in a medical setting ({settings}) is recorded"
    first = screenings[0].date.isoformat()
    candidates = confirmation_candidates(case, rules)
    if not candidates:
        return (
            f"no negative confirmation test ({', '.join(rules.confirmation_settings)}) "
            f"at least {rules.min_days_after_screening} days after the screening test of {first}"
        )
    lead = case.ruleset.contraception.lead_days
    return (
        f"the confirmation test of {candidates[-1].date.isoformat()} was not preceded by "
        f"{lead} days of qualifying contraception"
    )


def judge_lockout(case: ProgrammeCase) -> Verdicts:
    """PP_LOCKOUT: a confirmation test's window ended without a dispense and fewer
    than ``lockout_days`` have passed since that test (first prescription only)."""
    verdicts = Verdicts()
    rules = case.ruleset.confirmation
    if rules is None or rules.lockout_days is None or not case.is_first:
        return verdicts
    days = case.ruleset.dispense_window.days
    for test in confirmation_tests(case, rules):
        closed = window_end(test.date, days)
        lockout_ends = test.date + timedelta(days=rules.lockout_days)
        if closed < case.as_of < lockout_ends:
            verdicts.check(
                f"no lockout after the missed window of the test of {test.date.isoformat()}",
                False,
                test_evidence(case.record, test) + "; dispenses: none",
                rules.source,
            )
            verdicts.alerts.append(
                case.alert(
                    "PP_LOCKOUT",
                    test=test_text(test),
                    window_end=closed.isoformat(),
                    lockout_ends=lockout_ends.isoformat(),
                    lockout_days=rules.lockout_days,
                )
            )
            break
    return verdicts
