"""Pregnancy tests under a programme: which test qualifies, the dispense window, the
screening and confirmation tests, and the lockout (knowledge/programmes.toml).

A negative test qualifies for a prescription written on day P when its setting is
accepted and its specimen date lies in P - n ... P (n from the rule set). Settings
accepted "before the first dose" apply to a specimen dated on or before
``course.start_date`` or while no start date is recorded (decision: a test on the
first-dose day counts as before it, failing closed).
"""

from __future__ import annotations

from datetime import date, timedelta

from isocourse.record import PregnancyTest, TestSetting
from isocourse.rules.programme_case import (
    ProgrammeCase,
    Verdicts,
    test_evidence,
    test_text,
    window_end,
)


def accepted_settings(case: ProgrammeCase, specimen_day: date) -> tuple[TestSetting, ...]:
    rules = case.ruleset.pregnancy_tests
    start = case.record.course.start_date
    if start is None or specimen_day <= start:
        return rules.settings_before_first_dose
    return rules.settings_during_treatment


def earliest_specimen_day(case: ProgrammeCase) -> date:
    days = case.ruleset.pregnancy_tests.days_before_prescription
    return case.prescription_day - timedelta(days=days)


def _in_test_window(case: ProgrammeCase, test: PregnancyTest) -> bool:
    return earliest_specimen_day(case) <= test.date <= case.prescription_day


def _window_negatives(case: ProgrammeCase) -> list[PregnancyTest]:
    return [t for t in case.tests_known() if t.result == "negative" and _in_test_window(case, t)]


def qualifying_tests(case: ProgrammeCase) -> list[PregnancyTest]:
    """Negative tests that qualify for the prescription judged, oldest first."""
    return [t for t in _window_negatives(case) if t.setting in accepted_settings(case, t.date)]


def window_closes(case: ProgrammeCase) -> date | None:
    """The last day a dispense may happen, or None where there is no window.

    Can get pregnant: the window runs from the latest qualifying specimen (or from the
    prescription day, per the rule set's anchor), only once a test qualifies. Cannot
    get pregnant: the rule set's window from the proposed prescription, if any.
    """
    if not case.can_get_pregnant:
        days = case.ruleset.cannot_get_pregnant.dispense_window_days
        proposed = case.record.proposed_prescription
        if days is None or proposed is None:
            return None
        return window_end(proposed.date, days)
    qualifying = qualifying_tests(case)
    if not qualifying:
        return None
    window = case.ruleset.dispense_window
    anchor = qualifying[-1].date if window.anchor == "specimen" else case.prescription_day
    return window_end(anchor, window.days)


def judge_positive(case: ProgrammeCase) -> Verdicts:
    """PP_PREGNANCY_TEST_POSITIVE: a test of the latest day with a test by the clinic or a
    lab is positive, or a test the patient reported after the clinic's latest is. A
    patient's negative never clears the clinic's positive (rules: a patient's entry may
    raise an alert, never clear one); a newer test by the clinic does."""
    verdicts = Verdicts()
    clinical = case.tests_known()
    standing = [t for t in clinical if t.date == clinical[-1].date] if clinical else []
    standing += _reported_after(case, clinical[-1] if clinical else None)
    if not standing:
        return verdicts
    positives = [t for t in standing if t.result == "positive"]
    source = case.knowledge.alerts["PP_PREGNANCY_TEST_POSITIVE"].source
    evidence = test_evidence(case.record, positives[-1] if positives else standing[-1])
    if not verdicts.check("the latest pregnancy test is negative", not positives, evidence, source):
        verdicts.alerts.append(
            case.alert("PP_PREGNANCY_TEST_POSITIVE", test=test_text(positives[-1]))
        )
    return verdicts


def _reported_after(case: ProgrammeCase, clinical: PregnancyTest | None) -> list[PregnancyTest]:
    """The patient's own tests after ``clinical`` (all of them when there is none); a
    test of the same day counts when it was recorded after it."""
    every = case.all_tests_known()
    after = every[every.index(clinical) + 1 :] if clinical is not None else every
    return [t for t in after if t.source == "patient"]


def judge_qualifying_test(case: ProgrammeCase) -> Verdicts:
    """PP_PREGNANCY_TEST_MISSING, and PP_TEST_SETTING_NOT_ALLOWED when a test in the
    window fails only for its setting (decision: only when no accepted test qualifies,
    so a valid test is never blocked by a second, home one)."""
    verdicts = Verdicts()
    rules = case.ruleset.pregnancy_tests
    day = case.prescription_day.isoformat()
    qualifying = qualifying_tests(case)
    evidence = (
        test_evidence(case.record, qualifying[-1])
        if qualifying
        else (
            f"pregnancy_tests: no negative test in an accepted setting dated "
            f"{earliest_specimen_day(case).isoformat()} to {day}"
        )
    )
    condition = f"a negative pregnancy test qualifies for the prescription of {day}"
    if verdicts.check(condition, bool(qualifying), evidence, rules.source):
        return verdicts
    settings = accepted_settings(case, case.prescription_day)
    verdicts.alerts.append(
        case.alert(
            "PP_PREGNANCY_TEST_MISSING",
            prescription_date=day,
            earliest=earliest_specimen_day(case).isoformat(),
            settings=", ".join(settings),
        )
    )
    refused = _window_negatives(case)
    if refused:
        verdicts.extend(_judge_setting(case, refused[-1]))
    return verdicts


def _judge_setting(case: ProgrammeCase, test: PregnancyTest) -> Verdicts:
    """PP_TEST_SETTING_NOT_ALLOWED for a negative test in the window, refused for its setting."""
    verdicts = Verdicts()
    verdicts.check(
        f"the setting of the test of {test.date.isoformat()} is accepted",
        False,
        test_evidence(case.record, test),
        case.ruleset.pregnancy_tests.source,
    )
    verdicts.alerts.append(
        case.alert(
            "PP_TEST_SETTING_NOT_ALLOWED",
            test=test_text(test),
            settings=", ".join(accepted_settings(case, test.date)),
        )
    )
    return verdicts


def judge_window(case: ProgrammeCase) -> Verdicts:
    """PP_WINDOW_EXPIRED: a window exists and ``as_of`` is after its last day."""
    verdicts = Verdicts()
    closes = window_closes(case)
    if closes is None:
        return verdicts
    evidence, window, next_step = _window_words(case)
    condition = f"{case.as_of.isoformat()} is inside the dispense window ({window})"
    source = (
        case.ruleset.dispense_window.source
        if case.can_get_pregnant
        else case.ruleset.cannot_get_pregnant.source
    )
    if not verdicts.check(condition, case.as_of <= closes, evidence, source):
        verdicts.alerts.append(
            case.alert(
                "PP_WINDOW_EXPIRED",
                prescription_date=case.prescription_day.isoformat(),
                window_closes=closes.isoformat(),
                window=window,
                as_of=case.as_of.isoformat(),
                next_step=next_step,
            )
        )
    return verdicts


def _window_words(case: ProgrammeCase) -> tuple[str, str, str]:
    if not case.can_get_pregnant:
        days = case.ruleset.cannot_get_pregnant.dispense_window_days
        return (
            f"proposed_prescription: {case.prescription_day.isoformat()}",
            f"{days} days from the prescription day",
            "write a new prescription.",
        )
    window = case.ruleset.dispense_window
    if window.anchor == "specimen":
        test = qualifying_tests(case)[-1]
        return (
            test_evidence(case.record, test),
            f"{window.days} days from the specimen day {test.date.isoformat()}",
            "a new negative pregnancy test and a new prescription are needed.",
        )
    return (
        f"proposed_prescription: {case.prescription_day.isoformat()}",
        f"{window.days} days from the prescription day",
        "write a new prescription (with a new qualifying pregnancy test).",
    )
