"""Dosing, cumulative dose and its projection."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isocourse.assessment_json import assessment_from_json, assessment_to_json
from isocourse.knowledge.loader import load_knowledge
from isocourse.rules.dosing import cumulative_dose
from tests.builders import AlertCase, codes, evaluate, record

PROPOSED = "proposed_prescription"


def proposed(mg_per_day: float) -> dict[str, object]:
    return {PROPOSED: {"date": "2026-03-15", "days_supply": 30, "mg_per_day": mg_per_day}}


NO_DOSING = {
    "weights": [],
    "doses": [],
    "prescriptions": [],
    "dispenses": [],
    "course.start_date": None,
}

ALERT_CASES = [
    AlertCase("DOSE_WEIGHT_MISSING", {"weights": []}, NO_DOSING, severity="block"),
    AlertCase(
        "DOSE_WEIGHT_STALE",
        {"weights": [{"date": "2025-12-14", "value": 62, "unit": "kg"}]},
        {"weights": [{"date": "2025-12-15", "value": 62, "unit": "kg"}]},
    ),
    AlertCase(
        "DOSE_BELOW_RANGE",
        {"doses": [{"start": "2026-01-15", "end": None, "mg_per_day": 30}]},
        {"doses": [{"start": "2026-01-15", "end": None, "mg_per_day": 31}]},
        severity="info",
    ),
    AlertCase("DOSE_ABOVE_RANGE", proposed(70), proposed(62), severity="warning"),
    AlertCase("DOSE_ABOVE_MAXIMUM", proposed(130), proposed(124), severity="block"),
    AlertCase("DOSE_NOT_COMPOSABLE", proposed(42), proposed(45)),
    # 2980 mg / 62 kg = 48.06 mg/kg so far
    AlertCase(
        "CUMULATIVE_TARGET_REACHED",
        {"course.target_mg_per_kg": 48},
        {"course.target_mg_per_kg": 48.1},
    ),
    AlertCase(
        "COURSE_LONGER_THAN_USUAL",
        {"course.start_date": "2025-10-25"},
        {"course.start_date": "2025-10-26"},
    ),
    AlertCase(
        "SECOND_COURSE_TOO_SOON",
        {"course.previous_course_end": "2025-11-21"},
        {"course.previous_course_end": "2025-11-20"},
        severity="block",
    ),
]


def test_the_contract_example_gives_the_contract_numbers() -> None:
    assessment = evaluate(missed_doses=[{"date": "2026-02-01", "mg": 40}])
    assert assessment.weight_kg == 62.0
    assert (assessment.dose.mg_per_day, assessment.dose.mg_per_kg_per_day) == (60, 0.97)
    cumulative = assessment.cumulative
    assert (cumulative.mg, cumulative.mg_per_kg, cumulative.fraction) == (2940, 47.42, 0.32)
    assert cumulative.days_on_treatment == 60
    assert cumulative.projected_completion == date(2026, 6, 29)


def test_each_day_is_divided_by_the_weight_that_applied_that_day() -> None:
    assessment = evaluate(
        doses=[{"start": "2026-03-01", "end": "2026-03-10", "mg_per_day": 50}],
        weights=[
            {"date": "2026-03-06", "value": 40, "unit": "kg"},
            {"date": "2026-02-01", "value": 50, "unit": "kg"},
        ],
    )
    # 5 days at 50 kg, then 5 days at 40 kg
    assert assessment.cumulative.mg == 500
    assert assessment.cumulative.mg_per_kg == round(5 * 50 / 50 + 5 * 50 / 40, 2)


def test_a_weight_recorded_after_the_dose_applies_to_earlier_days() -> None:
    assessment = evaluate(
        doses=[{"start": "2026-03-01", "end": "2026-03-04", "mg_per_day": 40}],
        weights=[{"date": "2026-03-10", "value": 80, "unit": "kg"}],
    )
    assert assessment.cumulative.mg_per_kg == 2.0


def test_pounds_are_converted_to_kilograms() -> None:
    assessment = evaluate(weights=[{"date": "2026-03-01", "value": 150, "unit": "lb"}])
    assert assessment.weight_kg == 68.04


def test_a_missed_dose_is_subtracted_but_never_more_than_was_due() -> None:
    assessment = evaluate(missed_doses=[{"date": "2026-03-01", "mg": 100}])
    assert assessment.cumulative.mg == 2980 - 60


def test_a_missed_dose_after_as_of_is_not_subtracted() -> None:
    assessment = evaluate(missed_doses=[{"date": "2026-03-20", "mg": 60}])
    assert assessment.cumulative.mg == 2980


def test_days_on_treatment_stop_at_the_last_dose_once_the_course_ended() -> None:
    assessment = evaluate(doses=[{"start": "2026-01-15", "end": "2026-02-14", "mg_per_day": 40}])
    assert assessment.cumulative.days_on_treatment == 31
    assert assessment.dose.mg_per_day is None
    assert assessment.cumulative.projected_completion is None


def test_projection_is_today_once_the_target_is_reached() -> None:
    assessment = evaluate(**{"course.target_mg_per_kg": 40})
    assert assessment.cumulative.projected_completion == date(2026, 3, 15)


def test_the_proposed_dose_is_the_dose_when_no_period_covers_today() -> None:
    assessment = evaluate(doses=[], **proposed(40))
    assert assessment.dose.mg_per_day == 40
    assert assessment.cumulative.mg == 0


def test_no_weight_gives_unknown_mg_per_kg_not_zero() -> None:
    assessment = evaluate(weights=[])
    assert assessment.cumulative.mg_per_kg is None
    assert assessment.cumulative.fraction is None
    assert "DOSE_WEIGHT_MISSING" in assessment.dispense.blocking


def test_the_maximum_dose_does_not_also_raise_the_usual_range_warning() -> None:
    assert "DOSE_ABOVE_RANGE" not in codes(evaluate(**proposed(130)))


def test_absorica_ld_has_its_own_lower_bound() -> None:
    def periods(mg: int) -> list[dict[str, object]]:
        return [{"start": "2026-01-15", "end": None, "mg_per_day": mg}]

    # 28 mg / 62 kg = 0.45 mg/kg/day: low for generic capsules (0.5), usual for Absorica LD (0.4)
    assert "DOSE_BELOW_RANGE" in codes(evaluate(doses=periods(28)))
    assert "DOSE_BELOW_RANGE" not in codes(
        evaluate(**{"course.product": "absorica-ld"}, doses=periods(28))
    )
    # 24 mg / 62 kg = 0.39 mg/kg/day: low even for Absorica LD
    assert "DOSE_BELOW_RANGE" in codes(
        evaluate(**{"course.product": "absorica-ld"}, doses=periods(24))
    )


@given(
    days=st.integers(min_value=1, max_value=200),
    extra=st.integers(min_value=1, max_value=60),
    mg=st.sampled_from([10, 20, 30, 40, 60, 80]),
    weight=st.floats(min_value=30, max_value=200),
)
def test_cumulative_dose_never_falls_when_dosing_days_are_added(
    days: int, extra: int, mg: int, weight: float
) -> None:
    start = date(2026, 1, 1)
    knowledge = load_knowledge()

    def total(through: int) -> tuple[float, float | None]:
        course = record(
            weights=[{"date": "2025-12-20", "value": weight, "unit": "kg"}],
            doses=[
                {
                    "start": start.isoformat(),
                    "end": (start + timedelta(days=through - 1)).isoformat(),
                    "mg_per_day": mg,
                }
            ],
            as_of="2026-12-31",
        )
        result = cumulative_dose(course, knowledge, course.as_of)
        return result.mg, result.mg_per_kg

    shorter, longer = total(days), total(days + extra)
    assert longer[0] > shorter[0]
    assert longer[1] is not None and shorter[1] is not None and longer[1] > shorter[1]


def test_the_weight_is_due_again_when_it_would_become_stale() -> None:
    due = {d.task: d for d in evaluate().due}
    assert due["weight"].due == date(2026, 4, 10)  # 2026-01-10 + 90 days
    stale = {
        d.task: d for d in evaluate(weights=[{"date": "2025-11-01", "value": 62, "unit": "kg"}]).due
    }
    assert stale["weight"].overdue is True


def test_nothing_is_due_after_the_course_has_ended() -> None:
    ended = evaluate(doses=[{"start": "2026-01-15", "end": "2026-02-14", "mg_per_day": 40}])
    assert "weight" not in {d.task for d in ended.due}


@pytest.mark.parametrize(
    "changes",
    [
        # a weight above 0, so valid, but so small that mg/kg overflows to infinity
        {"weights": [{"date": "2026-01-10", "value": 1e-320, "unit": "kg"}]},
        # a dose above 0 whose end of course lies past the end of the calendar
        {"doses": [{"start": "2026-01-15", "end": None, "mg_per_day": 1e-7}]},
        # targets whose remaining mg cannot be counted
        {"course.target_mg_per_kg": 1e300},
        {"course.target_mg_per_kg": 1e-320},
    ],
)
def test_an_odd_but_valid_record_gets_an_assessment_with_only_numbers(
    changes: dict[str, object],
) -> None:
    """These once raised OverflowError (a server error on every page of the patient,
    and a traceback from ``isocourse evaluate``); a figure that cannot be told is null."""
    assessment = evaluate(**changes)
    document = assessment_to_json(assessment)
    json.dumps(document, allow_nan=False)
    assert assessment_from_json(document) == assessment


def test_a_weight_too_small_to_count_blocks_as_a_dose_above_the_maximum() -> None:
    assessment = evaluate(weights=[{"date": "2026-01-10", "value": 1e-320, "unit": "kg"}])
    assert "DOSE_ABOVE_MAXIMUM" in codes(assessment)
    assert not assessment.dispense.allowed
    assert assessment.cumulative.mg_per_kg is None and assessment.dose.mg_per_kg_per_day is None


def test_a_projection_past_the_calendar_is_null_and_a_near_one_is_a_day() -> None:
    far = evaluate(doses=[{"start": "2026-01-15", "end": None, "mg_per_day": 1e-7}])
    assert far.cumulative.projected_completion is None
    near = evaluate()
    assert near.cumulative.projected_completion is not None
