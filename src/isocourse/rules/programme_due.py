"""Due tasks under a programme: the next pregnancy test and counselling, the day the
dispense window closes, and the end-of-course and post-course pregnancy tests.

Decisions (the programmes give the tasks, not their dates): a task for the prescription
judged is due on its day (overdue after it); once done, the next is due when the
proposed supply ends. Without a proposed prescription the next prescription is
expected when the last dispensed supply ends (or on ``as_of``).
"""

from __future__ import annotations

from datetime import date, timedelta

from isocourse.assessment import Due
from isocourse.rules.course_facts import last_dose_day
from isocourse.rules.programme_case import ProgrammeCase
from isocourse.rules.programme_counselling import counselling_covers, counselling_rule
from isocourse.rules.programme_tests import qualifying_tests


def due_tasks(case: ProgrammeCase, window_closes: date | None) -> list[Due]:
    tasks: list[Due] = []
    if case.judges_prescription:
        if case.can_get_pregnant:
            tasks.append(_prescription_task(case, "pregnancy_test", bool(qualifying_tests(case))))
        tasks += _counselling_tasks(case)
        if window_closes is not None and not _dispensed_since_prescription(case):
            tasks.append(Due("dispense_window_closes", window_closes, case.as_of > window_closes))
    if case.can_get_pregnant:
        tasks += _post_course_tasks(case)
    return tasks


def _prescription_task(case: ProgrammeCase, task: str, done: bool) -> Due:
    proposed = case.record.proposed_prescription
    if proposed is not None:
        if done:
            return Due(task, proposed.date + timedelta(days=proposed.days_supply), False)
        return Due(task, proposed.date, case.as_of > proposed.date)
    due = _supply_runs_out(case)
    return Due(task, due, due < case.as_of and not done)


def _supply_runs_out(case: ProgrammeCase) -> date:
    if not case.record.dispenses:
        return case.as_of
    last = max(case.record.dispenses, key=lambda d: d.date)
    return last.date + timedelta(days=last.days_supply)


def _counselling_tasks(case: ProgrammeCase) -> list[Due]:
    covering, _ = counselling_covers(case)
    if counselling_rule(case).cadence == "each_prescription":
        return [_prescription_task(case, "counselling", bool(covering))]
    if covering:
        return []
    first = case.first_prescription_day
    return [Due("counselling", first, case.as_of > first)]


def _dispensed_since_prescription(case: ProgrammeCase) -> bool:
    day = case.prescription_day
    return any(day <= d.date <= case.as_of for d in case.record.dispenses)


def _post_course_tasks(case: ProgrammeCase) -> list[Due]:
    last = last_dose_day(case.record)
    if last is None:
        return []
    tasks = []
    for test in case.ruleset.post_course.tests:
        due = last + timedelta(days=test.days_after_last_dose)
        done = any(due <= t.date for t in case.tests_known())
        if not done:
            tasks.append(Due(test.task, due, case.as_of > due))
    return tasks
