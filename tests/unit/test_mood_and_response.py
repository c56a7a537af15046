"""Mood screens (PHQ-9, PHQ-2) and the response to treatment."""

from __future__ import annotations

from tests.builders import AlertCase, codes, evaluate


def phq9(*items: int, day: str = "2026-03-10") -> dict[str, object]:
    return {"mood_screens": [{"date": day, "instrument": "phq9", "items": list(items)}]}


def phq2(*items: int) -> dict[str, object]:
    return {"mood_screens": [{"date": "2026-03-10", "instrument": "phq2", "items": list(items)}]}


def nodules(first: int, latest: int) -> dict[str, object]:
    return {
        "acne_assessments": [
            {"date": "2026-01-10", "nodules": first},
            {"date": "2026-03-10", "nodules": latest},
        ]
    }


PROPOSED = {"date": "2026-03-15", "days_supply": 30, "mg_per_day": 60}

ALERT_CASES = [
    AlertCase(
        "MOOD_SUICIDAL_IDEATION",
        phq9(0, 0, 0, 0, 0, 0, 0, 0, 1),
        phq9(1, 1, 1, 1, 1, 1, 1, 1, 0),
        severity="stop",
    ),
    AlertCase(
        "MOOD_DEPRESSION_SEVERE",
        phq9(3, 3, 3, 3, 3, 3, 2, 0, 0),
        phq9(3, 3, 3, 3, 3, 3, 1, 0, 0),
        severity="urgent",
    ),
    AlertCase(
        "MOOD_DEPRESSION_MODERATE",
        phq9(2, 2, 2, 2, 2, 0, 0, 0, 0),
        phq9(2, 2, 2, 2, 1, 0, 0, 0, 0),
        severity="warning",
    ),
    AlertCase("MOOD_PHQ2_POSITIVE", phq2(2, 1), phq2(1, 1)),
    AlertCase(
        "MOOD_SCREEN_MISSING",
        {"proposed_prescription": PROPOSED, **phq9(*[0] * 9, day="2026-02-13")},
        {"proposed_prescription": PROPOSED, **phq9(*[0] * 9, day="2026-02-14")},
    ),
    AlertCase("RESPONSE_NODULES_REDUCED", nodules(10, 2), nodules(10, 3), severity="info"),
]


def test_only_the_latest_screen_counts() -> None:
    screens = {
        "mood_screens": [
            {"date": "2026-02-01", "instrument": "phq9", "items": [3] * 9},
            {"date": "2026-03-01", "instrument": "phq9", "items": [0] * 9},
        ]
    }
    assert not codes(evaluate(**screens)) & {"MOOD_SUICIDAL_IDEATION", "MOOD_DEPRESSION_SEVERE"}


def test_a_screen_dated_after_as_of_is_not_yet_the_latest() -> None:
    assert "MOOD_SUICIDAL_IDEATION" not in codes(evaluate(**phq9(*[3] * 9, day="2026-03-20")))


def test_severe_depression_does_not_also_raise_the_moderate_code() -> None:
    assert "MOOD_DEPRESSION_MODERATE" not in codes(evaluate(**phq9(*[3] * 9)))


def test_suicidal_ideation_blocks_the_prescription() -> None:
    assessment = evaluate(**phq9(0, 0, 0, 0, 0, 0, 0, 0, 2))
    assert not assessment.dispense.allowed
    assert "MOOD_SUICIDAL_IDEATION" in assessment.dispense.blocking


def test_a_single_nodule_count_cannot_show_a_response() -> None:
    one = {"acne_assessments": [{"date": "2026-03-10", "nodules": 0}]}
    assert "RESPONSE_NODULES_REDUCED" not in codes(evaluate(**one))


def test_the_next_mood_screen_is_due_a_month_after_the_last() -> None:
    due = {d.task: d for d in evaluate().due}
    assert due["mood_screen"].due.isoformat() == "2026-04-09"
    assert due["mood_screen"].overdue is False


def test_an_old_mood_screen_makes_the_next_one_overdue() -> None:
    due = {d.task: d for d in evaluate(**phq9(*[0] * 9, day="2026-01-10")).due}
    assert due["mood_screen"].overdue is True
