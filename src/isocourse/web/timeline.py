"""The event log as a readable timeline: newest first, corrections shown, not hidden.

Each entry is summed up in words (:mod:`isocourse.words`): "Copper intrauterine device;
from 2026-11-02 Mon", not "method iud_copper; start 2026-11-02".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from isocourse.store.event_history import RecordedEvent
from isocourse.words import Words, mg, plain, source, staff_date

_NOT_CORRECTABLE = frozenset(
    {"entered_in_error", "patient_details", "programme", "course_details", "prescription_cancelled"}
)
Part = Callable[[Any, Mapping[str, Any], Words], str]


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _value(value: Any, entry: Mapping[str, Any], _: Words) -> str:
    unit = entry.get("unit")
    return f"{_number(value)} {unit}" if unit else _number(value)


def _method(value: Any, entry: Mapping[str, Any], words: Words) -> str:
    # a contraception entry names a method of the knowledge; a pregnancy test's method
    # (urine, serum) is a word already
    return words.method(value) if "start" in entry else plain(str(value))


def _kind(value: Any, entry: Mapping[str, Any], words: Words) -> str:
    # a review's kind (medication, symptom) is a word; a counselling entry's is a code
    return plain(str(value)) if "outcome" in entry else words.counselling(value)


#: each field of an entry, in the order the summary says them, and how it reads
_PARTS: Mapping[str, Part] = {
    "date": lambda v, e, w: staff_date(v),
    "start": lambda v, e, w: f"from {staff_date(v)}",
    "end": lambda v, e, w: f"to {staff_date(v)}",
    "birth_date": lambda v, e, w: f"born {staff_date(v)}",
    "test": lambda v, e, w: w.lab_test(v),
    "value": _value,
    "reference_high": lambda v, e, w: f"lab's upper limit {_number(v)}",
    "result": lambda v, e, w: plain(str(v)),
    "method": _method,
    "setting": lambda v, e, w: plain(str(v)),
    "instrument": lambda v, e, w: plain(str(v)),
    "items": lambda v, e, w: "item scores " + ", ".join(str(i) for i in v),
    "text": lambda v, e, w: f"“{v}”",
    "code": lambda v, e, w: plain(str(v)),
    "name": lambda v, e, w: str(v),
    "kind": _kind,
    "mg": lambda v, e, w: f"{mg(v)} mg",
    "mg_per_day": lambda v, e, w: f"{mg(v)} mg a day",
    "days_supply": lambda v, e, w: f"{v} days",
    "nodules": lambda v, e, w: f"{_number(v)} nodules",
    "inflammatory_lesions": lambda v, e, w: f"{_number(v)} inflammatory lesions",
    "global_score": lambda v, e, w: f"global score {_number(v)}",
    "product": lambda v, e, w: w.product(v),
    "reason": lambda v, e, w: f"reason: {v}",
    "outcome": lambda v, e, w: plain(str(v)),
    "prescription_id": lambda v, e, w: f"prescription {v}",
}


def timeline_rows(events: Sequence[RecordedEvent], words: Words) -> list[dict[str, Any]]:
    retracted = {e.corrects for e in events if e.kind == "entered_in_error"}
    rows = []
    for event in reversed(events):
        rows.append(
            {
                "event_id": event.event_id,
                "kind": event.kind,
                "summary": summary(event.entry, words),
                "recorded_at": _recorded_at(event.recorded_at.isoformat()),
                "recorded_by": recorded_by(event),
                "retracted": event.event_id in retracted,
                "correctable": event.kind not in _NOT_CORRECTABLE
                and event.event_id not in retracted,
            }
        )
    return rows


def _recorded_at(stamp: str) -> str:
    """``2026-11-22T10:00:00+00:00`` as the clinic's pages show it: ``2026-11-22 Sun 10:00``."""
    return f"{staff_date(stamp[:10])} {stamp[11:16]}".strip()


def recorded_by(event: RecordedEvent) -> str:
    """Who recorded an event, in words: the entry's source and the user's e-mail."""
    user = event.recorded_by
    words = source(event.source) or (user.role if user else "")
    email = user.email if user else None
    return f"{words} ({email})" if words and email else (words or email or "")


def summary(entry: Mapping[str, Any], words: Words) -> str:
    """A few words for one entry: its values, in words, in a fixed order."""
    parts = [
        say(entry[key], entry, words)
        for key, say in _PARTS.items()
        if entry.get(key) is not None and entry.get(key) != ""
    ]
    return "; ".join(parts) if parts else "(details)"
