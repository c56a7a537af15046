"""The facts every programme rule reads: which rule set, which prescription, which patient.

A :class:`ProgrammeCase` is built once per assessment; :class:`Verdicts` gathers the
alerts and the ``--explain`` checks the programme rules produce.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from isocourse.assessment import Alert, Check
from isocourse.knowledge.model import Knowledge
from isocourse.knowledge.programmes import RuleSet
from isocourse.record import Contraception, Counselling, CourseRecord, PregnancyTest
from isocourse.rules.alerting import raise_alert
from isocourse.rules.course_facts import last_dose_day, prescription_day


@dataclass(frozen=True)
class ProgrammeCase:
    """One record under one rule set, judged for the prescription of ``prescription_day``."""

    record: CourseRecord
    knowledge: Knowledge
    as_of: date
    ruleset: RuleSet

    @property
    def prescription_day(self) -> date:
        """The proposed prescription's date, else ``as_of`` (a prescription written today)."""
        return prescription_day(self.record, self.as_of)

    @property
    def can_get_pregnant(self) -> bool:
        """Decision: an unrecorded category counts as "can get pregnant" (fail closed)."""
        return self.record.patient.can_get_pregnant is not False

    @property
    def is_first(self) -> bool:
        """The prescription judged is the course's first: no dispense is recorded.

        Decision: without a proposed prescription the judged one is a prescription
        written on ``as_of``, first when nothing was dispensed (a "first prescription"
        otherwise needs a proposed one; failing closed here).
        """
        return not self.record.dispenses

    @property
    def course_ended(self) -> bool:
        last = last_dose_day(self.record)
        return last is not None and last < self.as_of

    @property
    def judges_prescription(self) -> bool:
        """Decision: a course that has ended, with no proposed prescription, has no
        prescription to judge (only the positive test, contraception until the last
        post-course test, and the post-course tasks remain)."""
        return self.record.proposed_prescription is not None or not self.course_ended

    @property
    def first_prescription_day(self) -> date:
        """The course's first prescription: the earliest recorded prescription or
        dispense, or the one judged now."""
        days = [p.date for p in self.record.prescriptions]
        days += [d.date for d in self.record.dispenses]
        return min([*days, self.prescription_day])

    def tests_known(self) -> list[PregnancyTest]:
        """The tests the programme rules may rely on: specimens on or before ``as_of``,
        oldest first, recorded by the clinic or a lab (decision: a test the patient
        reported, a home test, qualifies nothing until a clinician records it; it can
        still stop the course, see :meth:`tests_reported_by_patient`)."""
        return [t for t in self.all_tests_known() if t.source != "patient"]

    def all_tests_known(self) -> list[PregnancyTest]:
        """Every test with a specimen on or before ``as_of``, oldest first (stable)."""
        known = [t for t in self.record.pregnancy_tests if t.date <= self.as_of]
        return sorted(known, key=lambda t: t.date)

    def alert(self, code: str, **details: object) -> Alert:
        """The catalogue's alert for ``code``, naming the rule set that judged in words
        (``iPLEDGE (rules from 2026-08-08)``, not its id)."""
        return raise_alert(
            self.knowledge,
            code,
            severity=None,
            reported_on=None,
            subject=None,
            ruleset=self.knowledge.programmes.ruleset_words(self.ruleset),
            **details,
        )


@dataclass
class Verdicts:
    """Alerts and checks, gathered in order."""

    alerts: list[Alert] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def check(self, condition: str, holds: bool, evidence: str, source: str) -> bool:
        self.checks.append(Check(condition, holds, evidence, source))
        return holds

    def extend(self, other: Verdicts) -> None:
        self.alerts.extend(other.alerts)
        self.checks.extend(other.checks)


def window_end(first_day: date, days: int) -> date:
    """The last day of "a window of N days from day D": D + N - 1."""
    return first_day + timedelta(days=days - 1)


def test_evidence(record: CourseRecord, test: PregnancyTest) -> str:
    index = record.pregnancy_tests.index(test)
    return (
        f"pregnancy_tests[{index}]: {test.date.isoformat()} {test.result} "
        f"{test.method} {test.setting}" + (" (source: patient)" if test.source == "patient" else "")
    )


def test_text(test: PregnancyTest) -> str:
    if test.source == "patient":  # a patient's own result counts as a home test
        return f"{test.date.isoformat()}, {test.method}, home, reported by the patient"
    return f"{test.date.isoformat()}, {test.method}, {test.setting}"


def contraception_evidence(record: CourseRecord, entries: tuple[Contraception, ...]) -> str:
    if not entries:
        return "contraception: none active"
    parts = []
    for entry in entries:
        index = record.contraception.index(entry)
        end = entry.end.isoformat() if entry.end else "ongoing"
        parts.append(f"contraception[{index}]: {entry.method} {entry.start.isoformat()}–{end}")
    return "; ".join(parts)


def counselling_evidence(record: CourseRecord, entries: list[Counselling], kind: str) -> str:
    if not entries:
        return f"counselling: no {kind} entry"
    entry = max(entries, key=lambda e: e.date)
    index = record.counselling.index(entry)
    return f"counselling[{index}]: {entry.date.isoformat()} {entry.kind}"
