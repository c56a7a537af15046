"""Words for people: the one place that names codes, numbers and dates (isocourse.words),
and the programme alerts' messages, which name rule sets, methods and counselling kinds
in words rather than by their codes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import get_args

import pytest

from isocourse import words
from isocourse.knowledge.loader import load_knowledge
from isocourse.knowledge.programmes import ProgrammeCatalogue
from isocourse.record import ContraceptionMethod, CounsellingKind
from isocourse.store.fold import LATEST_KINDS, LIST_KINDS, NOTE_KINDS
from tests.builders import evaluate
from tests.unit.programme_records import counsel, method, uk, us

KNOWLEDGE = load_knowledge()
WORDS = words.Words(KNOWLEDGE)
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
RULESET_IDS = [r.id for r in KNOWLEDGE.programmes.rulesets]


def test_dates_are_spelled_out_for_patients_and_iso_with_the_weekday_for_staff() -> None:
    assert words.patient_date(date(2026, 12, 4)) == "4 December 2026"
    assert words.patient_date("2026-01-31") == "31 January 2026"
    assert words.staff_date(date(2026, 12, 4)) == "2026-12-04 Fri"
    assert words.staff_date("2026-11-22T10:00:00+00:00") == "2026-11-22 Sun"
    assert words.staff_date(datetime(2026, 11, 22, 10, 0, tzinfo=UTC)) == "2026-11-22 Sun"
    assert words.staff_date(None) == words.patient_date("") == "—"


@pytest.mark.parametrize(
    ("value", "mg_per_kg", "per_day"),
    [
        (42.24, "42.2", "42.24"),
        (164.73, "164.7", "164.73"),
        (45.0, "45.0", "45"),
        (0.0, "0.0", "0"),
        (0.444, "0.4", "0.44"),
    ],
)
def test_mg_per_kg_has_one_decimal_and_a_daily_mg_per_kg_up_to_two(
    value: float, mg_per_kg: str, per_day: str
) -> None:
    assert words.mg_per_kg(value) == mg_per_kg
    assert words.mg_per_kg_per_day(value) == per_day


@pytest.mark.parametrize(
    ("value", "said"), [(60.0, "60"), (3030.0, "3030"), (59.98, "60"), (0.0, "0"), (22.5, "22.5")]
)
def test_mg_are_whole_unless_the_dose_itself_is_not(value: float, said: str) -> None:
    assert words.mg(value) == said


def test_a_missing_or_non_finite_number_is_a_dash() -> None:
    for say in (words.mg, words.mg_per_kg, words.mg_per_kg_per_day, words.kg):
        assert say(None) == say(float("nan")) == "—"


def test_every_code_of_the_record_has_words_from_the_knowledge() -> None:
    for code in get_args(ContraceptionMethod):
        assert WORDS.method(code) == KNOWLEDGE.programmes.methods[code].title
    for kind in get_args(CounsellingKind):
        said = WORDS.counselling(kind)
        assert said == KNOWLEDGE.programmes.counselling_kinds[kind].title
        assert not SNAKE.search(said)
    assert WORDS.method("iud_copper") == "Copper intrauterine device"
    assert WORDS.counselling("comprehension_confirmed") == "Comprehension confirmed"
    assert WORDS.programme("us-ipledge") == "iPLEDGE REMS (US)"
    assert WORDS.ruleset("us-ipledge-2026-08-08") == "iPLEDGE (rules from 2026-08-08)"
    assert WORDS.alert("PP_PREGNANCY_TEST_POSITIVE") == "Pregnancy test positive"
    assert WORDS.product("absorica-ld") == "Absorica LD"


def test_every_event_kind_and_due_task_has_words() -> None:
    kinds = {*LIST_KINDS, *LATEST_KINDS, *NOTE_KINDS, "entered_in_error", "prescription_cancelled"}
    assert kinds <= set(words.EVENT_KINDS)
    tasks = {"weight", "labs", "mood_screen", "pregnancy_test", "counselling"}
    tasks |= {"dispense_window_closes"}
    tasks |= {t.task for r in KNOWLEDGE.programmes.rulesets for t in r.post_course.tests}
    assert tasks <= set(words.TASKS) and tasks <= set(words.PATIENT_TASKS)
    for said in (*words.EVENT_KINDS.values(), *words.TASKS.values()):
        assert not SNAKE.search(said), said


def test_a_code_nobody_named_still_reads_as_words() -> None:
    assert words.event_kind("new_kind_of_event") == "New kind of event"
    assert words.plain_text("overdue: mood_screen") == "overdue: mood screen"
    assert words.patient_label("Jordan Blake", "demo-04") == "Jordan Blake (demo-04)"
    assert words.patient_label(None, "demo-04") == "demo-04"


def test_the_knowledge_check_finds_a_counselling_kind_without_words() -> None:
    catalogue = KNOWLEDGE.programmes
    kinds = dict(catalogue.counselling_kinds)
    del kinds["risk_acknowledged"]
    short = ProgrammeCatalogue(
        catalogue.source, catalogue.programmes, catalogue.methods, kinds, catalogue.rulesets
    )
    assert "counselling_kinds: kind 'risk_acknowledged' has no entry" in short.problems(KNOWLEDGE)
    assert not [p for p in catalogue.problems(KNOWLEDGE) if p.startswith("counselling_kinds")]


def _messages(**changes: object) -> str:
    return " ".join(alert.message for alert in evaluate(**changes).alerts)


def test_programme_messages_name_the_rule_set_kind_and_methods_in_words() -> None:
    said = _messages(
        **us(
            counselling=[counsel("2026-01-01", "comprehension_confirmed")],
            contraception=[method("male_condom"), method("iud_copper", end="2025-06-02")],
        )
    )
    assert "iPLEDGE (rules from 2021-12-13)" in said
    assert "“comprehension confirmed”" in said
    assert "(male condom)" in said
    uk_said = _messages(**uk(counselling=[counsel("2026-01-10", "risk_acknowledged")]))
    assert "“mental health assessed”" in uk_said
    for text in (said, uk_said):
        assert not SNAKE.search(text), text
        assert not any(ruleset in text for ruleset in RULESET_IDS), text
