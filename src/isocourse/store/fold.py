"""The course record as a fold over the event log (pure: events in, a JSON document out).

Each event's ``payload`` is one element of the course-record format (a weight, a lab
result ...) or, for the kinds that hold one value (patient details, programme,
course details, the proposed prescription), the latest value wins. An
``entered_in_error`` event removes the event it names from the fold; the event
itself stays in the log. :func:`events_from_record` is the inverse used at import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from isocourse.record import COURSE_FORMAT

#: event kind -> the course-record list it adds to
LIST_KINDS: Final[Mapping[str, str]] = {
    "weight": "weights",
    "acne_assessment": "acne_assessments",
    "dose_period": "doses",
    "missed_dose": "missed_doses",
    "lab_result": "labs",
    "pregnancy_test": "pregnancy_tests",
    "contraception": "contraception",
    "medication": "medications",
    "mood_screen": "mood_screens",
    "symptom": "symptoms",
    "counselling": "counselling",
    "prescription": "prescriptions",
    "dispense": "dispenses",
}
#: event kind -> the course-record field it sets (the latest event wins)
LATEST_KINDS: Final[Mapping[str, str]] = {
    "patient_details": "patient",
    "programme": "programme",
    "course_details": "course",
    "prescription_proposed": "proposed_prescription",
}
ENTERED_IN_ERROR: Final = "entered_in_error"
#: kinds kept in the log that are not part of the course record (the fold passes them by):
#: a patient's daily dose check-in; a patient's reminder preferences
NOTE_KINDS: Final = frozenset({"dose_check_in", "reminder_preference"})
EVENT_KINDS: Final = (*LATEST_KINDS, *LIST_KINDS, *sorted(NOTE_KINDS), ENTERED_IN_ERROR)


@dataclass(frozen=True)
class StoredEvent:
    """One event as the fold sees it (the store's row, without its bookkeeping)."""

    id: str
    kind: str
    payload: Mapping[str, Any]
    corrects: str | None = None


def fold_events(
    events: Iterable[StoredEvent], *, as_of: date, leave_out: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The course-record document for ``as_of`` (``leave_out``: event ids to skip)."""
    ordered = list(events)
    retracted = {e.corrects for e in ordered if e.kind == ENTERED_IN_ERROR and e.corrects}
    document: dict[str, Any] = {"format": COURSE_FORMAT, "as_of": as_of.isoformat()}
    document.update({name: [] for name in LIST_KINDS.values()})
    document["proposed_prescription"] = None
    for event in ordered:
        if event.kind == ENTERED_IN_ERROR or event.id in retracted or event.id in leave_out:
            continue
        _apply(document, event)
    return document


def _apply(document: dict[str, Any], event: StoredEvent) -> None:
    if event.kind in LIST_KINDS:
        document[LIST_KINDS[event.kind]].append(dict(event.payload))
        if event.kind == "prescription":
            document["proposed_prescription"] = None  # a written prescription settles it
    elif event.kind == "programme":
        document["programme"] = event.payload["programme"]
    elif event.kind in LATEST_KINDS:
        document[LATEST_KINDS[event.kind]] = dict(event.payload)
    elif event.kind in NOTE_KINDS:
        return
    else:
        raise ValueError(f"unknown event kind {event.kind!r}")


def events_from_record(document: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Split a validated course-record document into (kind, payload) events, in fold order."""
    events: list[tuple[str, dict[str, Any]]] = [
        ("patient_details", dict(document["patient"])),
        ("programme", {"programme": document["programme"]}),
        ("course_details", dict(document["course"])),
    ]
    for kind, name in LIST_KINDS.items():
        events.extend((kind, dict(element)) for element in document.get(name) or ())
    if document.get("proposed_prescription"):
        events.append(("prescription_proposed", dict(document["proposed_prescription"])))
    return events
