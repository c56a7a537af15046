"""The course record is a fold over the event log (pure; no database)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from isocourse.demo_patients import demo_records
from isocourse.knowledge.loader import load_knowledge
from isocourse.record_parser import course_record_from_json, course_record_to_json
from isocourse.store.fold import (
    ENTERED_IN_ERROR,
    StoredEvent,
    events_from_record,
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


@pytest.mark.parametrize("document", [example_record(), *demo_records(TODAY)])
def test_folding_a_records_events_gives_the_record_back(document: dict[str, Any]) -> None:
    original = normalised(document)
    folded = fold_events(as_events(original), as_of=date.fromisoformat(original["as_of"]))
    assert normalised(folded) == original


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
    assert folded["prescriptions"][-1] == written


def test_a_left_out_event_is_skipped() -> None:
    events = as_events(normalised(example_record()))
    weight = next(e for e in events if e.kind == "weight")
    folded = fold_events(events, as_of=TODAY, leave_out=frozenset({weight.id}))
    assert folded["weights"] == []


def test_an_unknown_event_kind_is_an_error_not_silence() -> None:
    events = [*as_events(normalised(example_record())), StoredEvent("x", "telepathy", {})]
    with pytest.raises(ValueError, match="telepathy"):
        fold_events(events, as_of=TODAY)
