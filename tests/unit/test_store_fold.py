"""The course record is a fold over the event log (pure; no database)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isocourse.demo_patients import demo_records
from isocourse.knowledge.loader import load_knowledge
from isocourse.record_parser import course_record_from_json, course_record_to_json
from isocourse.store.fold import (
    ENTERED_IN_ERROR,
    PRESCRIPTION_CANCELLED,
    StoredEvent,
    StoredEventText,
    events_from_record,
    fold_event_texts,
    fold_events,
)

TODAY = date(2026, 3, 15)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "course-record.json"


def example_record() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return document


def as_events(document: dict[str, Any]) -> list[StoredEvent]:
    return [
        StoredEvent(f"e{index}", kind, payload)
        for index, (kind, payload) in enumerate(events_from_record(document))
    ]


def normalised(document: dict[str, Any]) -> dict[str, Any]:
    record = course_record_from_json(document, load_knowledge(), today=TODAY)
    return course_record_to_json(record)


def without_log_fields(document: dict[str, Any]) -> dict[str, Any]:
    """The record without what the log decides (prescription ids, dispense links)."""
    copy = json.loads(json.dumps(document))
    for prescription in copy["prescriptions"]:
        prescription["id"] = None
    return copy


@pytest.mark.parametrize("document", [example_record(), *demo_records(TODAY)])
def test_folding_a_records_events_gives_the_record_back(document: dict[str, Any]) -> None:
    original = normalised(document)
    folded = fold_events(as_events(original), as_of=date.fromisoformat(original["as_of"]))
    assert without_log_fields(normalised(folded)) == original


def test_each_prescription_is_named_by_its_event_and_a_dispense_by_what_it_filled() -> None:
    events = [
        *as_events(normalised(example_record())),
        StoredEvent("rx1", "prescription", {"date": "2026-03-15", "days_supply": 30}),
        StoredEvent("d1", "dispense", {"date": "2026-03-16", "days_supply": 30}, fills="rx1"),
    ]
    folded = fold_events(events, as_of=TODAY)
    assert folded["prescriptions"][-1]["id"] == "rx1"
    assert folded["dispenses"][-1] == {
        "date": "2026-03-16",
        "days_supply": 30,
        "prescription_id": "rx1",
    }


def test_a_cancellation_marks_its_prescription_and_a_retracted_one_does_not() -> None:
    events = [
        *as_events(normalised(example_record())),
        StoredEvent("rx1", "prescription", {"date": "2026-03-15", "days_supply": 30}),
        StoredEvent(
            "c1",
            PRESCRIPTION_CANCELLED,
            {"prescription_id": "rx1", "date": "2026-03-16", "reason": "dose changed"},
        ),
    ]
    assert fold_events(events, as_of=TODAY)["prescriptions"][-1]["cancelled"] == "2026-03-16"
    events.append(StoredEvent("x", ENTERED_IN_ERROR, {"event_id": "c1"}, corrects="c1"))
    assert "cancelled" not in fold_events(events, as_of=TODAY)["prescriptions"][-1]


def test_an_entry_marked_in_error_drops_out_of_the_fold() -> None:
    original = normalised(example_record())
    events = as_events(original)
    lab = next(e for e in events if e.kind == "lab_result")
    events.append(StoredEvent("fix", ENTERED_IN_ERROR, {"event_id": lab.id}, corrects=lab.id))
    folded = fold_events(events, as_of=TODAY)
    assert len(folded["labs"]) == len(original["labs"]) - 1
    assert lab.payload not in folded["labs"]


def test_the_latest_details_win() -> None:
    events = as_events(normalised(example_record()))
    events.append(StoredEvent("new", "programme", {"programme": "eu-ppp"}))
    assert fold_events(events, as_of=TODAY)["programme"] == "eu-ppp"


def test_a_written_prescription_settles_the_proposed_one() -> None:
    events = as_events(normalised(example_record()))
    assert fold_events(events, as_of=TODAY)["proposed_prescription"] is not None
    written = {"date": "2026-03-15", "days_supply": 30, "mg_per_day": 60}
    events.append(StoredEvent("rx", "prescription", written))
    folded = fold_events(events, as_of=TODAY)
    assert folded["proposed_prescription"] is None
    assert folded["prescriptions"][-1] == {**written, "id": "rx"}


def test_a_left_out_event_is_skipped() -> None:
    events = as_events(normalised(example_record()))
    weight = next(e for e in events if e.kind == "weight")
    folded = fold_events(events, as_of=TODAY, leave_out=frozenset({weight.id}))
    assert folded["weights"] == []


def test_an_unknown_event_kind_is_an_error_not_silence() -> None:
    events = [*as_events(normalised(example_record())), StoredEvent("x", "telepathy", {})]
    with pytest.raises(ValueError, match="telepathy"):
        fold_events(events, as_of=TODAY)


def as_texts(events: list[StoredEvent]) -> list[StoredEventText]:
    return [
        StoredEventText(e.id, e.kind, json.dumps(e.payload), e.corrects, e.fills) for e in events
    ]


#: events beyond a record's own: corrections, notes, later details, a proposal after a
#: written prescription and a written one after a proposal
EXTRA_EVENTS = [
    StoredEvent("n1", "dose_check_in", {"date": "2026-03-14", "taken": True}),
    StoredEvent("p2", "programme", {"programme": "uk-mhra"}),
    StoredEvent("rx", "prescription", {"date": "2026-03-15", "days_supply": 30, "mg_per_day": 60}),
    StoredEvent("pp", "prescription_proposed", {"date": "2026-04-14", "days_supply": 30}),
    StoredEvent("w2", "weight", {"date": "2026-03-15", "value": 71.5, "unit": "kg"}),
    StoredEvent("x1", ENTERED_IN_ERROR, {"event_id": "e3"}, corrects="e3"),
    StoredEvent("x2", ENTERED_IN_ERROR, {"event_id": "w2"}, corrects="w2"),
    StoredEvent("d9", "dispense", {"date": "2026-03-16", "days_supply": 30}, fills="rx"),
    StoredEvent(
        "c9", PRESCRIPTION_CANCELLED, {"prescription_id": "rx", "date": "2026-03-17", "reason": "r"}
    ),
    StoredEvent("empty-rx", "prescription", {}),
]


@settings(max_examples=150, deadline=None)
@given(
    index=st.integers(min_value=0, max_value=len(demo_records(TODAY))),
    extra=st.lists(st.sampled_from(EXTRA_EVENTS), max_size=7, unique_by=lambda e: e.id),
    cut=st.integers(min_value=0, max_value=60),
    left_out=st.sets(st.integers(min_value=0, max_value=70), max_size=3),
    proposed=st.sampled_from([None, {"date": "2026-04-20", "days_supply": 30, "mg_per_day": 40}]),
)
def test_the_text_fold_equals_the_fold_of_the_decoded_events(
    index: int,
    extra: list[StoredEvent],
    cut: int,
    left_out: set[int],
    proposed: dict[str, Any] | None,
) -> None:
    """Also with events left out and a prescription proposed in place of the events' (as
    the verification folds: the prescription it verifies left out, then proposed)."""
    records = [example_record(), *demo_records(TODAY)]
    events = as_events(records[index])
    events = events[:cut] + extra + events[cut:]
    leave_out = frozenset(events[i].id for i in left_out if i < len(events))
    text = fold_event_texts(
        as_texts(events),
        as_of=TODAY,
        leave_out=leave_out,
        proposed_prescription=None if proposed is None else json.dumps(proposed),
    )
    expected = fold_events(events, as_of=TODAY, leave_out=leave_out)
    if proposed is not None:
        expected["proposed_prescription"] = proposed
    assert json.loads(text) == expected
