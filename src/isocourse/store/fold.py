"""The course record as a fold over the event log (pure: events in, a JSON document out).

Each event's ``payload`` is one element of the course-record format (a weight, a lab
result ...) or, for the kinds that hold one value (patient details, programme,
course details, the proposed prescription), the latest value wins. An
``entered_in_error`` event removes the event it names from the fold; the event
itself stays in the log. :func:`events_from_record` is the inverse used at import.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Protocol, TypeVar

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
    "review": "reviews",
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


_Payload = TypeVar("_Payload", covariant=True)


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
    lists, latest = _fold(list(events), leave_out)
    document: dict[str, Any] = {"format": COURSE_FORMAT, "as_of": as_of.isoformat()}
    for name, payloads in lists.items():
        document[name] = [dict(payload) for payload in payloads]
    for name, payload in latest.items():
        if name == "programme" and payload is not None:
            document[name] = payload["programme"]
        else:
            document[name] = None if payload is None else dict(payload)
    return document


@dataclass(frozen=True)
class StoredEventText:
    """One event with its payload still as the JSON text the database holds."""

    id: str
    kind: str
    payload: str
    corrects: str | None = None


def fold_event_texts(
    events: Sequence[StoredEventText],
    *,
    as_of: date,
    leave_out: frozenset[str] = frozenset(),
    proposed_prescription: str | None = None,
) -> str:
    """The same fold over events whose payloads are still JSON text: the document as
    JSON text, built without decoding the payloads (the bulk re-assessment's and the
    verification's path; ``json.loads`` of it equals :func:`fold_events` of the decoded
    events). ``proposed_prescription`` (JSON text), if given, is proposed in place of
    what the events propose: the prescription a pharmacist verifies, left out."""
    lists, latest = _fold(events, leave_out)
    if proposed_prescription is not None:
        latest["proposed_prescription"] = proposed_prescription
    parts = [f'"format":{json.dumps(COURSE_FORMAT)},"as_of":"{as_of.isoformat()}"']
    parts.extend(f'"{name}":[{",".join(payloads)}]' for name, payloads in lists.items())
    for name, payload in latest.items():
        if name == "programme" and payload is not None:
            payload = json.dumps(json.loads(payload)["programme"])
        parts.append(f'"{name}":{"null" if payload is None else payload}')
    return "{" + ",".join(parts) + "}"


class _Event(Protocol[_Payload]):
    """What the fold reads of an event, whatever form its payload is in."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def payload(self) -> _Payload: ...
    @property
    def corrects(self) -> str | None: ...


def _fold(
    events: Sequence[_Event[_Payload]], leave_out: frozenset[str]
) -> tuple[dict[str, list[_Payload]], dict[str, _Payload | None]]:
    """Which payload goes where: a list per list kind, and the latest payload per
    single-value kind that some event set. An entered-in-error event and the event
    it names are passed by; so are the note kinds."""
    retracted = {e.corrects for e in events if e.kind == ENTERED_IN_ERROR and e.corrects}
    lists: dict[str, list[_Payload]] = {name: [] for name in LIST_KINDS.values()}
    latest: dict[str, _Payload | None] = {"proposed_prescription": None}
    for event in events:
        if event.kind == ENTERED_IN_ERROR or event.id in retracted or event.id in leave_out:
            continue
        if event.kind in LIST_KINDS:
            lists[LIST_KINDS[event.kind]].append(event.payload)
            if event.kind == "prescription":
                latest["proposed_prescription"] = None  # a written prescription settles it
        elif event.kind in LATEST_KINDS:
            latest[LATEST_KINDS[event.kind]] = event.payload
        elif event.kind not in NOTE_KINDS:
            raise ValueError(f"unknown event kind {event.kind!r}")
    return lists, latest


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
