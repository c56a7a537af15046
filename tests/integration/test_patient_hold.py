"""Who holds the patient's page (only what to do now), and the words the patient's and
the staff's pages use for doses and dates."""

from __future__ import annotations

from isocourse.knowledge.loader import load_knowledge
from isocourse.rules import assess
from isocourse.service.patient_hold import STOP_WORDS, patient_hold, red_flags_to_review
from isocourse.web.patient_view import dose_history, next_steps
from tests.builders import record

KNOWLEDGE = load_knowledge()
DAY = "2026-03-15"


def held(**changes: object) -> tuple[str, ...] | None:
    course = record(**changes)
    hold = patient_hold(course, assess(course, KNOWLEDGE, as_of=course.as_of), KNOWLEDGE)
    return None if hold is None else hold.codes


def test_a_red_flag_symptom_holds_the_page_with_its_advice() -> None:
    symptoms = [{"date": DAY, "text": "yellow eyes and dark urine"}]
    assert held(symptoms=symptoms) == ("SYMPTOM_HEPATITIS",)


def test_a_stop_without_patient_advice_holds_with_the_stop_words() -> None:
    tests = [{"date": DAY, "result": "positive", "method": "serum", "setting": "lab"}]
    course = record(
        programme="us-ipledge", **{"patient.can_get_pregnant": True}, pregnancy_tests=tests
    )
    hold = patient_hold(course, assess(course, KNOWLEDGE, as_of=course.as_of), KNOWLEDGE)
    assert hold is not None and "PP_PREGNANCY_TEST_POSITIVE" in hold.codes
    assert STOP_WORDS in hold.lines


def test_a_plain_course_and_a_common_side_effect_do_not_hold() -> None:
    assert held() is None
    assert held(symptoms=[{"date": DAY, "text": "dry lips"}]) is None


def test_an_urgent_red_flag_holds_until_a_clinician_reviews_it() -> None:
    symptoms = [{"date": DAY, "text": "I feel hopeless"}]
    assert held(symptoms=symptoms) == ("SYMPTOM_DEPRESSION",)
    waiting = red_flags_to_review(record(symptoms=symptoms), KNOWLEDGE)
    assert [item.text for item in waiting] == ["I feel hopeless"]
    review = {"date": DAY, "kind": "symptom", "text": "I feel hopeless", "outcome": "acted_on"}
    assert held(symptoms=symptoms, reviews=[review]) is None
    assert red_flags_to_review(record(symptoms=symptoms, reviews=[review]), KNOWLEDGE) == []
    by_patient = {**review, "source": "patient"}
    assert held(symptoms=symptoms, reviews=[by_patient]) == ("SYMPTOM_DEPRESSION",)


def test_a_stop_is_not_lifted_by_a_review() -> None:
    symptoms = [{"date": DAY, "text": "yellow eyes and dark urine"}]
    review = {"date": DAY, "kind": "symptom", "text": symptoms[0]["text"], "outcome": "acted_on"}
    assert held(symptoms=symptoms, reviews=[review]) == ("SYMPTOM_HEPATITIS",)


def test_doses_and_next_steps_in_words() -> None:
    course = record()
    assert dose_history(course) == [
        "Since 15 February 2026: 60 mg a day.",
        "From 15 January 2026 to 14 February 2026: 40 mg a day.",
    ]
    steps = next_steps(assess(course, KNOWLEDGE, as_of=course.as_of))
    assert steps and all(": by " in line or "Please do it soon" in line for line in steps)
