"""The course-record parser refuses bad input, naming the field, and guesses nothing."""

from __future__ import annotations

import contextlib
import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isocourse.knowledge.loader import load_knowledge
from isocourse.record_parser import (
    RecordError,
    course_record_from_json,
    course_record_to_json,
    parse_course_record,
)
from tests.builders import DELETE, codes, evaluate, record_json

TODAY = date(2026, 3, 15)


def refuse(**changes: Any) -> RecordError:
    with pytest.raises(RecordError) as caught:
        course_record_from_json(record_json(**changes), load_knowledge(), today=TODAY)
    return caught.value


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"colour": "blue"}, "colour"),
        ({"patient.nickname": "Sam"}, "patient.nickname"),
        ({"weights": [{"date": "2026-02-30", "value": 60, "unit": "kg"}]}, "weights[0].date"),
        ({"weights": [{"date": "2026-13-01", "value": 60, "unit": "kg"}]}, "weights[0].date"),
        ({"weights": [{"date": 20260101, "value": 60, "unit": "kg"}]}, "weights[0].date"),
        ({"weights": [{"date": "2026-01-01", "value": -3, "unit": "kg"}]}, "weights[0].value"),
        ({"weights": [{"date": "2026-01-01", "value": 0, "unit": "kg"}]}, "weights[0].value"),
        ({"weights": [{"date": "2026-01-01", "value": 351, "unit": "kg"}]}, "weights[0].value"),
        ({"weights": [{"date": "2026-01-01", "value": 800, "unit": "lb"}]}, "weights[0].value"),
        ({"weights": [{"date": "2026-01-01", "value": True, "unit": "kg"}]}, "weights[0].value"),
        ({"weights": [{"date": "2026-01-01", "value": "62", "unit": "kg"}]}, "weights[0].value"),
        ({"weights": [{"date": "2026-01-01", "value": 62, "unit": "stone"}]}, "weights[0].unit"),
        ({"weights": [{"date": "2026-01-01", "value": 62}]}, "weights[0].unit"),
        (
            {
                "mood_screens": [
                    {
                        "date": "2026-03-01",
                        "instrument": "phq9",
                        "items": [0, 4, 0, 0, 0, 0, 0, 0, 0],
                    }
                ]
            },
            "mood_screens[0].items[1]",
        ),
        (
            {
                "mood_screens": [
                    {
                        "date": "2026-03-01",
                        "instrument": "phq9",
                        "items": [0, -1, 0, 0, 0, 0, 0, 0, 0],
                    }
                ]
            },
            "mood_screens[0].items[1]",
        ),
        (
            {"mood_screens": [{"date": "2026-03-01", "instrument": "phq9", "items": [0, 0]}]},
            "mood_screens[0].items",
        ),
        (
            {"mood_screens": [{"date": "2026-03-01", "instrument": "phq2", "items": [0, 0, 0]}]},
            "mood_screens[0].items",
        ),
        (
            {"mood_screens": [{"date": "2026-03-01", "instrument": "gad7", "items": [0, 0]}]},
            "mood_screens[0].instrument",
        ),
        ({"course.product": "roaccutane-xl"}, "course.product"),
        ({"programme": "ca-pledge"}, "programme"),
        (
            {"contraception": [{"method": "withdrawal", "start": "2026-01-01"}]},
            "contraception[0].method",
        ),
        (
            {
                "pregnancy_tests": [
                    {
                        "date": "2026-03-01",
                        "result": "negative",
                        "method": "urine",
                        "setting": "pharmacy",
                    }
                ]
            },
            "pregnancy_tests[0].setting",
        ),
        (
            {
                "pregnancy_tests": [
                    {
                        "date": "2026-03-01",
                        "result": "negative",
                        "method": "blood",
                        "setting": "lab",
                    }
                ]
            },
            "pregnancy_tests[0].method",
        ),
        ({"counselling": [{"date": "2026-03-01", "kind": "chat"}]}, "counselling[0].kind"),
        (
            {"labs": [{"date": "2026-03-01", "test": "vitamin_d", "value": 30, "unit": "ng/mL"}]},
            "labs[0].test",
        ),
        (
            {"doses": [{"start": "2026-02-01", "end": "2026-01-31", "mg_per_day": 40}]},
            "doses[0].end",
        ),
        ({"doses": [{"start": "2026-02-01", "end": None, "mg_per_day": 0}]}, "doses[0].mg_per_day"),
        ({"patient.can_get_pregnant": None, "programme": "eu-ppp"}, "patient.can_get_pregnant"),
        ({"patient": DELETE}, "patient"),
        ({"format": "isocourse.course/2"}, "format"),
        ({"course.target_mg_per_kg": -5}, "course.target_mg_per_kg"),
        ({"symptoms": [{"date": "2026-03-01"}]}, "symptoms[0]"),
        ({"acne_assessments": [{"date": "2026-03-01"}]}, "acne_assessments[0]"),
        (
            {"acne_assessments": [{"date": "2026-03-01", "global_score": 5}]},
            "acne_assessments[0].global_score",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    error = refuse(**changes)
    assert error.field == field
    assert f"field '{field}'" in str(error)


def test_a_missing_as_of_means_today() -> None:
    document = record_json(as_of=DELETE)
    course = course_record_from_json(document, load_knowledge(), today=date(2026, 4, 1))
    assert course.as_of == date(2026, 4, 1)


def test_unknown_conditions_are_kept_and_flagged_not_refused() -> None:
    assert "SCREEN_UNKNOWN_CONDITION" in codes(evaluate(**{"patient.conditions": ["gout"]}))


def test_a_patient_outside_any_programme_needs_no_pregnancy_category() -> None:
    evaluate(**{"patient.can_get_pregnant": DELETE, "programme": "none"})


def test_a_record_survives_the_round_trip_through_json() -> None:
    knowledge = load_knowledge()
    course = course_record_from_json(record_json(), knowledge, today=TODAY)
    again = course_record_from_json(course_record_to_json(course), knowledge, today=TODAY)
    assert again == course


def test_text_that_is_not_json_names_the_document() -> None:
    with pytest.raises(RecordError) as caught:
        parse_course_record("{not json", load_knowledge(), today=TODAY)
    assert caught.value.field == "(document)"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = st.sampled_from(sorted(record_json()))


@settings(max_examples=200)
@given(document=JSON)
def test_arbitrary_json_raises_only_the_parser_error(document: object) -> None:
    with contextlib.suppress(RecordError):
        parse_course_record(json.dumps(document), load_knowledge(), today=TODAY)


@settings(max_examples=200)
@given(field=FIELDS, value=JSON)
def test_a_valid_record_with_one_field_replaced_raises_only_the_parser_error(
    field: str, value: object
) -> None:
    document = record_json(**{field: value})
    try:
        course_record_from_json(document, load_knowledge(), today=TODAY)
    except RecordError as error:
        assert error.field
