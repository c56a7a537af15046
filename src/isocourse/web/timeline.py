"""The event log as a readable timeline: newest first, corrections shown, not hidden."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from isocourse.store.event_history import RecordedEvent

_NOT_CORRECTABLE = frozenset(
    {"entered_in_error", "patient_details", "programme", "course_details", "prescription_cancelled"}
)
_KEYS = (
    "date",
    "start",
    "end",
    "test",
    "value",
    "unit",
    "result",
    "method",
    "setting",
    "instrument",
    "items",
    "text",
    "code",
    "name",
    "kind",
    "mg",
    "mg_per_day",
    "days_supply",
    "nodules",
    "global_score",
    "reason",
    "outcome",
    "prescription_id",
)


def timeline_rows(events: Sequence[RecordedEvent]) -> list[dict[str, Any]]:
    retracted = {e.corrects for e in events if e.kind == "entered_in_error"}
    rows = []
    for event in reversed(events):
        rows.append(
            {
                "event_id": event.event_id,
                "kind": event.kind,
                "summary": summary(event.entry),
                "recorded_at": f"{event.recorded_at:%Y-%m-%d %H:%M}",
                "recorded_by": recorded_by(event),
                "retracted": event.event_id in retracted,
                "correctable": event.kind not in _NOT_CORRECTABLE
                and event.event_id not in retracted,
            }
        )
    return rows


SOURCE_WORDS = {
    "clinician": "clinician",
    "patient": "the patient",
    "lab": "lab feed",
    "import": "imported",
}


def recorded_by(event: RecordedEvent) -> str:
    """Who recorded an event, in words: the entry's source and the user's e-mail."""
    user = event.recorded_by
    source = event.source
    words = SOURCE_WORDS.get(source, source) if source else (user.role if user else "")
    email = user.email if user else None
    return f"{words} ({email})" if words and email else (words or email or "")


def summary(entry: Mapping[str, Any]) -> str:
    """A few words for one entry: its dated values in a fixed order."""
    parts = []
    for key in _KEYS:
        value = entry.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        parts.append(f"{key.replace('_', ' ')} {value}")
    return "; ".join(parts) if parts else "(details)"
