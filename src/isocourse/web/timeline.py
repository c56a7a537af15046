"""The event log as a readable timeline: newest first, corrections shown, not hidden."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


def timeline_rows(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    retracted = {e["corrects"] for e in events if e["kind"] == "entered_in_error"}
    rows = []
    for event in reversed(events):
        rows.append(
            {
                "event_id": event["event_id"],
                "kind": event["kind"],
                "summary": summary(event["entry"]),
                "recorded_at": event["recorded_at"][:16].replace("T", " "),
                "recorded_by": recorded_by(event),
                "retracted": event["event_id"] in retracted,
                "correctable": event["kind"] not in _NOT_CORRECTABLE
                and event["event_id"] not in retracted,
            }
        )
    return rows


SOURCE_WORDS = {
    "clinician": "clinician",
    "patient": "the patient",
    "lab": "lab feed",
    "import": "imported",
}


def recorded_by(event: Mapping[str, Any]) -> str:
    """Who recorded an event, in words: the entry's source and the user's e-mail."""
    user = event.get("recorded_by") or {}
    source = event.get("source")
    words = SOURCE_WORDS.get(source, source) if source else user.get("role", "")
    email = user.get("email")
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
