"""Contraception under a programme: PP_CONTRACEPTION_INSUFFICIENT, _TOO_RECENT, _MINIPILL."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from isocourse.record import Contraception
from isocourse.rules.contraception import (
    QualifyingContraception,
    listed_not_counted,
    qualifying_contraception,
)
from isocourse.rules.course_facts import active_entries
from isocourse.rules.programme_case import ProgrammeCase, Verdicts, contraception_evidence


def judge_contraception(case: ProgrammeCase) -> Verdicts:
    verdicts = Verdicts()
    scheme = case.ruleset.contraception
    found = qualifying_contraception(case.record.contraception, scheme, case.as_of)
    day = case.as_of.isoformat()
    needed = " or ".join(c.description for c in scheme.combinations)
    active = tuple(active_entries(case.record.contraception, case.as_of))
    evidence = contraception_evidence(case.record, found.entries if found else active)
    condition = f"the contraception active on {day} meets the rule set ({needed})"
    if not verdicts.check(condition, found is not None, evidence, scheme.source):
        methods = _methods_words(case, active) or "none"
        verdicts.alerts.append(
            case.alert("PP_CONTRACEPTION_INSUFFICIENT", date=day, methods=methods, needed=needed)
        )
    elif found is not None and _not_started(case):
        verdicts.extend(_judge_lead(case, found, evidence))
    for entry in listed_not_counted(case.record.contraception, scheme, case.as_of)[:1]:
        verdicts.alerts.append(
            case.alert("PP_CONTRACEPTION_MINIPILL", start=entry.start.isoformat())
        )
    return verdicts


def _judge_lead(case: ProgrammeCase, found: QualifyingContraception, evidence: str) -> Verdicts:
    """PP_CONTRACEPTION_TOO_RECENT: before the first dose, the qualifying combination
    has run fewer than ``lead_days`` on ``as_of``."""
    verdicts = Verdicts()
    scheme = case.ruleset.contraception
    days = (case.as_of - found.since).days
    condition = (
        f"the qualifying contraception has run {scheme.lead_days} days before the first dose"
    )
    if not verdicts.check(condition, days >= scheme.lead_days, evidence, scheme.source):
        verdicts.alerts.append(
            case.alert(
                "PP_CONTRACEPTION_TOO_RECENT",
                methods=_methods_words(case, found.entries),
                since=found.since.isoformat(),
                days=days,
                date=case.as_of.isoformat(),
                lead_days=scheme.lead_days,
                ready=(found.since + timedelta(days=scheme.lead_days)).isoformat(),
            )
        )
    return verdicts


def _not_started(case: ProgrammeCase) -> bool:
    start = case.record.course.start_date
    return start is None or case.as_of < start


def _methods_words(case: ProgrammeCase, entries: Iterable[Contraception]) -> str:
    """The methods in words, as a message names them: ``male condom, vaginal ring``."""
    return ", ".join(case.knowledge.programmes.method_words(e.method) for e in entries)
