"""The 2026-12 limits of the course record: what is refused (naming the field), and
arithmetic that cannot go wrong (missed doses per day, never a negative total)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isocourse.knowledge.loader import load_knowledge
from isocourse.record_parser import RecordError, course_record_from_json, parse_course_record
from isocourse.rules import assess
from isocourse.rules.dosing import cumulative_dose
from tests.builders import record, record_json

TODAY = date(2026, 3, 15)
KNOWLEDGE = load_knowledge()


def refused(**changes: Any) -> RecordError:
    with pytest.raises(RecordError) as caught:
        course_record_from_json(record_json(**changes), KNOWLEDGE, today=TODAY)
    return caught.value


def period(start: str, end: str | None, mg: float) -> dict[str, Any]:
    return {"start": start, "end": end, "mg_per_day": mg}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"doses": [period("2026-01-15", None, 1e300)]}, "doses[0].mg_per_day"),
        ({"doses": [period("2026-01-15", None, 401)]}, "doses[0].mg_per_day"),
        ({"missed_doses": [{"date": "2026-02-01", "mg": 500}]}, "missed_doses[0].mg"),
        ({"missed_doses": [{"date": "2026-02-01", "mg": 0}]}, "missed_doses[0].mg"),
        (
            {"prescriptions": [{"date": "2026-02-14", "days_supply": 91, "mg_per_day": 60}]},
            "prescriptions[0].days_supply",
        ),
        (
            {"proposed_prescription": {"date": "2026-03-15", "days_supply": 0}},
            "proposed_prescription.days_supply",
        ),
        (
            {"proposed_prescription": {"date": "2026-03-15", "days_supply": 30.5}},
            "proposed_prescription.days_supply",
        ),
        ({"dispenses": [{"date": "2026-02-15", "days_supply": 120}]}, "dispenses[0].days_supply"),
        ({"as_of": "9999-12-31"}, "as_of"),
        ({"patient.birth_date": "1899-12-31"}, "patient.birth_date"),
        ({"weights": [{"date": "2101-01-01", "value": 62, "unit": "kg"}]}, "weights[0].date"),
        ({"patient.id": ""}, "patient.id"),
        ({"patient.id": "   "}, "patient.id"),
        ({"patient.id": "x" * 65}, "patient.id"),
        ({"patient.id": "p-001\nX-Injected: yes"}, "patient.id"),
        ({"patient.id": "p\u0007"}, "patient.id"),
        (
            {"medications": [{"name": "a" * 201, "start": "2026-01-01"}]},
            "medications[0].name",
        ),
        ({"symptoms": [{"date": "2026-03-01", "text": "x" * 2001}]}, "symptoms[0].text"),
        (
            {
                "reviews": [
                    {"date": "2026-03-01", "kind": "symptom", "text": "", "outcome": "acted_on"}
                ]
            },
            "reviews[0].text",
        ),
        (
            {"doses": [period("2026-01-15", "2026-02-20", 40), period("2026-02-15", None, 60)]},
            "doses[1]",
        ),
        (  # the entry listed later is the one named (the newer entry)
            {"doses": [period("2026-02-15", None, 60), period("2026-01-15", None, 40)]},
            "doses[1]",
        ),
    ],
)
def test_an_implausible_or_malformed_value_is_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    assert refused(**changes).field == field


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weights": [{"date": "2026-01-10", "value": "N", "unit": "kg"}]}, "weights[0].value"),
        (
            {"proposed_prescription": {"date": "2026-03-15", "days_supply": 30, "mg_per_day": "N"}},
            "proposed_prescription.mg_per_day",
        ),
        (
            {
                "labs": [
                    {
                        "date": "2026-01-05",
                        "test": "alt",
                        "value": 31,
                        "unit": "U/L",
                        "reference_high": "N",
                    }
                ]
            },
            "labs[0].reference_high",
        ),
    ],
)
def test_a_number_that_is_not_finite_is_refused(
    number: float, changes: dict[str, Any], field: str
) -> None:
    text = json.dumps(record_json(**changes)).replace('"N"', json.dumps(number))
    assert "NaN" in text or "Infinity" in text
    with pytest.raises(RecordError) as caught:
        parse_course_record(text, KNOWLEDGE, today=TODAY)
    assert caught.value.field == field
    assert "finite" in caught.value.message


def test_overlapping_periods_are_named_both() -> None:
    error = refused(doses=[period("2026-01-15", "2026-02-20", 40), period("2026-02-15", None, 60)])
    assert "doses[0]" in error.message
    assert "2026-01-15" in error.message


def test_the_limits_themselves_are_accepted() -> None:
    accepted = record(
        doses=[period("2026-01-15", "2026-02-14", 400), period("2026-02-15", None, 60)],
        prescriptions=[{"date": "2026-02-14", "days_supply": 90, "mg_per_day": 60}],
        **{"patient.id": "x" * 64},
        symptoms=[{"date": "2026-03-01", "text": "y" * 2000}],
        medications=[{"name": "z" * 200, "start": "2026-01-01"}],
    )
    assert accepted.patient.id == "x" * 64


def test_the_same_missed_dose_reported_twice_is_subtracted_once() -> None:
    once = record(missed_doses=[{"date": "2026-03-01", "mg": 60}])
    eight_times = record(missed_doses=[{"date": "2026-03-01", "mg": 60}] * 8)
    assert cumulative_dose(eight_times, KNOWLEDGE, TODAY) == cumulative_dose(once, KNOWLEDGE, TODAY)
    assert cumulative_dose(once, KNOWLEDGE, TODAY).mg == 2980 - 60


def test_several_entries_of_one_day_count_once_and_never_above_the_days_dose() -> None:
    halves = record(
        missed_doses=[{"date": "2026-03-01", "mg": 30}, {"date": "2026-03-01", "mg": 20}]
    )
    too_much = record(
        missed_doses=[{"date": "2026-03-01", "mg": 40}, {"date": "2026-03-01", "mg": 90}]
    )
    assert cumulative_dose(halves, KNOWLEDGE, TODAY).mg == 2980 - 30
    assert cumulative_dose(too_much, KNOWLEDGE, TODAY).mg == 2980 - 60


# --- property tests: the cumulative dose stays between 0 and what the periods scheduled ---

START = date(2026, 1, 1)
AS_OF = date(2026, 6, 30)


@st.composite
def dosing_records(draw: st.DrawFn) -> dict[str, Any]:
    """Contiguous, non-overlapping dose periods and any missed doses (some repeated)."""
    lengths = draw(st.lists(st.integers(1, 60), min_size=1, max_size=4))
    doses, day = [], START
    for length in lengths:
        end = day + timedelta(days=length - 1)
        doses.append(period(day.isoformat(), end.isoformat(), draw(st.sampled_from([20, 40, 60]))))
        day = end + timedelta(days=draw(st.integers(1, 10)))
    if draw(st.booleans()):
        doses[-1]["end"] = None
    missed = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "date": st.dates(START - timedelta(days=5), AS_OF + timedelta(days=5)).map(
                        date.isoformat
                    ),
                    "mg": st.sampled_from([10, 20, 40, 60, 80, 400]),
                }
            ),
            max_size=8,
        )
    )
    weight = draw(st.sampled_from([45, 62, 90.5]))
    return record_json(
        as_of=AS_OF.isoformat(),
        doses=doses,
        missed_doses=missed,
        weights=[{"date": "2025-12-01", "value": weight, "unit": "kg"}],
    )


def _scheduled_mg(document: dict[str, Any]) -> float:
    total = 0.0
    for entry in document["doses"]:
        start = date.fromisoformat(entry["start"])
        end = min(date.fromisoformat(entry["end"]) if entry["end"] else AS_OF, AS_OF)
        total += entry["mg_per_day"] * max(0, (end - start).days + 1)
    return total


@settings(max_examples=150, deadline=None)
@given(document=dosing_records())
def test_cumulative_mg_is_never_negative_nor_above_the_scheduled_doses(
    document: dict[str, Any],
) -> None:
    course = course_record_from_json(document, KNOWLEDGE, today=AS_OF)
    total = cumulative_dose(course, KNOWLEDGE, AS_OF)
    assert 0 <= total.mg <= _scheduled_mg(document) + 1e-6
    assert total.mg_per_kg is not None and total.mg_per_kg >= 0


LISTS = ("missed_doses", "labs", "symptoms", "mood_screens", "medications", "weights")


@settings(max_examples=100, deadline=None)
@given(document=dosing_records(), which=st.sampled_from(LISTS), data=st.data())
def test_adding_a_duplicate_entry_never_changes_the_assessment(
    document: dict[str, Any], which: str, data: st.DataObject
) -> None:
    document.setdefault("symptoms", [{"date": "2026-06-20", "text": "bad headache and vomiting"}])
    document.setdefault("medications", [{"name": "doxycycline 100 mg", "start": "2026-06-01"}])
    entries = document.get(which) or []
    if not entries:
        return
    twice = json.loads(json.dumps(document))
    twice[which] = [*entries, data.draw(st.sampled_from(entries))]
    first = course_record_from_json(document, KNOWLEDGE, today=AS_OF)
    second = course_record_from_json(twice, KNOWLEDGE, today=AS_OF)
    assert assess(second, KNOWLEDGE, as_of=AS_OF) == assess(first, KNOWLEDGE, as_of=AS_OF)
