"""Counselling and assessments a programme requires before a prescription, and the
supply limit: PP_COUNSELLING_MISSING, PP_SECOND_PRESCRIBER_MISSING,
PP_MENTAL_HEALTH_ASSESSMENT_MISSING, PP_SUPPLY_TOO_LONG."""

from __future__ import annotations

from datetime import date, timedelta

from isocourse.knowledge.programmes import Category, CounsellingRule
from isocourse.record import Counselling
from isocourse.rules.course_facts import age_on, within_days_up_to
from isocourse.rules.programme_case import ProgrammeCase, Verdicts, counselling_evidence


def category(case: ProgrammeCase) -> Category:
    return "can_get_pregnant" if case.can_get_pregnant else "cannot_get_pregnant"


def counselling_rule(case: ProgrammeCase) -> CounsellingRule:
    rules = case.ruleset.counselling
    return rules.can_get_pregnant if case.can_get_pregnant else rules.cannot_get_pregnant


def counselling_covers(case: ProgrammeCase) -> tuple[list[Counselling], str]:
    """The entries that satisfy the counselling rule for the prescription judged, and
    the rule in words ("in the 30 days up to 2026-03-15")."""
    rule = counselling_rule(case)
    entries = [e for e in case.record.counselling if e.kind == rule.kind]
    if rule.cadence == "each_prescription" and rule.within_days is not None:
        day = case.prescription_day
        earliest = day - timedelta(days=rule.within_days - 1)
        when = f"in the {rule.within_days} days up to {day.isoformat()} ({earliest.isoformat()} on)"
        return within_days_up_to(entries, rule.within_days, day), when
    first = case.first_prescription_day
    when = f"on or before the first prescription of the course ({first.isoformat()})"
    return [e for e in entries if e.date <= first], when


def judge_counselling(case: ProgrammeCase) -> Verdicts:
    verdicts = Verdicts()
    rule = counselling_rule(case)
    covering, when = counselling_covers(case)
    evidence = counselling_evidence(case.record, covering, rule.kind)
    if not verdicts.check(f"{rule.kind} recorded {when}", bool(covering), evidence, rule.source):
        verdicts.alerts.append(
            case.alert("PP_COUNSELLING_MISSING", kind=_kind_words(case, rule.kind), when=when)
        )
    return verdicts


def judge_second_prescriber(case: ProgrammeCase) -> Verdicts:
    verdicts = Verdicts()
    rule = case.ruleset.second_prescriber
    if rule is None or category(case) not in rule.categories or not case.is_first:
        return verdicts
    day = case.prescription_day
    age = age_on(case.record.patient.birth_date, day)
    if age >= rule.under_age_years:
        return verdicts
    agreed = [e for e in case.record.counselling if e.kind == rule.kind and e.date <= day]
    evidence = f"patient.birth_date: {case.record.patient.birth_date.isoformat()} (age {age}); "
    evidence += counselling_evidence(case.record, agreed, rule.kind)
    condition = f"a second prescriber agreed (patient under {rule.under_age_years})"
    if not verdicts.check(condition, bool(agreed), evidence, rule.source):
        verdicts.alerts.append(
            case.alert(
                "PP_SECOND_PRESCRIBER_MISSING",
                age=age,
                prescription_date=day.isoformat(),
                under_age=rule.under_age_years,
            )
        )
    return verdicts


def judge_mental_health(case: ProgrammeCase) -> Verdicts:
    verdicts = Verdicts()
    rule = case.ruleset.mental_health_assessment
    if rule is None or category(case) not in rule.categories:
        return verdicts
    day = case.prescription_day
    entries = [e for e in case.record.counselling if e.kind == rule.kind]
    covering = within_days_up_to(entries, rule.within_days, day)
    earliest = _earliest(day, rule.within_days)
    evidence = counselling_evidence(case.record, covering, rule.kind)
    condition = f"mental health assessed in the {rule.within_days} days up to {day.isoformat()}"
    if not verdicts.check(condition, bool(covering), evidence, rule.source):
        verdicts.alerts.append(
            case.alert(
                "PP_MENTAL_HEALTH_ASSESSMENT_MISSING",
                days=rule.within_days,
                prescription_date=day.isoformat(),
                earliest=earliest.isoformat(),
            )
        )
    return verdicts


def judge_supply(case: ProgrammeCase) -> Verdicts:
    verdicts = Verdicts()
    proposed = case.record.proposed_prescription
    if proposed is None:
        return verdicts
    rule = case.ruleset.supply
    evidence = f"proposed_prescription: {proposed.date.isoformat()}, {proposed.days_supply} days"
    condition = f"the supply is at most {rule.max_days_supply} days"
    if not verdicts.check(
        condition, proposed.days_supply <= rule.max_days_supply, evidence, rule.source
    ):
        verdicts.alerts.append(
            case.alert(
                "PP_SUPPLY_TOO_LONG",
                days_supply=proposed.days_supply,
                max_days=rule.max_days_supply,
            )
        )
    return verdicts


def _earliest(day: date, days: int) -> date:
    """The first day of "the N days up to D": D - N + 1."""
    return day - timedelta(days=days - 1)


def _kind_words(case: ProgrammeCase, kind: str) -> str:
    """A counselling kind as a message quotes it: ``“comprehension confirmed”``."""
    return f"“{case.knowledge.programmes.counselling_words(kind)}”"
