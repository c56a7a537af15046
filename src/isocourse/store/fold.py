"""The course record as a fold over the event log (pure: events in, a JSON document out).

Each event's ``payload`` is one element of the course-record format (a weight, a lab
result ...) or, for the kinds that hold one value (patient details, programme,
course details, the proposed prescription), the latest value wins. An
``entered_in_error`` event removes the event it names from the fold; the event
itself stays in the log. :func:`events_from_record` is the inverse used at import.

What the log knows beside the payloads, the fold writes into the record: each
prescription's ``id`` (its event's id) and, once a ``prescription_cancelled`` event
names it, its ``cancelled`` day; each dispense's ``prescription_id`` (the prescription
it filled). Who recorded an entry (``source``) is in its payload, set by the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
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
#: ends an open prescription: ``{"prescription_id", "date", "reason"}``
PRESCRIPTION_CANCELLED: Final = "prescription_cancelled"
#: kinds kept in the log that are not part of the course record (the fold passes them by):
#: a patient's daily dose check-in; a patient's reminder preferences
NOTE_KINDS: Final = frozenset({"dose_check_in", "reminder_preference"})
#: fields of a payload that the log, not the payload, decides (see the module's docstring)
LOG_FIELDS: Final[Mapping[str, frozenset[str]]] = {
    "prescription": frozenset({"id", "cancelled"}),
    "dispense": frozenset({"prescription_id"}),
}


_Payload = TypeVar("_Payload", covariant=True)


@dataclass(frozen=True)
class StoredEvent:
    """One event as the fold sees it (the store's row, without its bookkeeping)."""

    id: str
    kind: str
    payload: Mapping[str, Any]
    corrects: str | None = None
    fills: str | None = None  # a dispense: the prescription it filled


def fold_events(
    events: Iterable[StoredEvent], *, as_of: date, leave_out: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The course-record document for ``as_of`` (``leave_out``: event ids to skip)."""
    lists, latest = _fold(list(events), leave_out, _with_fields)
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
    fills: str | None = None


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
    lists, latest = _fold(events, leave_out, with_fields_text)
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
    @property
    def fills(self) -> str | None: ...


def _fold(
    events: Sequence[_Event[_Payload]],
    leave_out: frozenset[str],
    with_fields: Callable[[_Payload, dict[str, str]], _Payload],
) -> tuple[dict[str, list[_Payload]], dict[str, _Payload | None]]:
    """Which payload goes where: a list per list kind, and the latest payload per
    single-value kind that some event set. An entered-in-error event and the event
    it names are passed by; so are the note kinds. ``with_fields`` adds what the log
    knows to a payload (in the payload's own form)."""
    retracted = {e.corrects for e in events if e.kind == ENTERED_IN_ERROR and e.corrects}
    cancelled = _cancellations(events, retracted)
    lists: dict[str, list[_Payload]] = {name: [] for name in LIST_KINDS.values()}
    latest: dict[str, _Payload | None] = {"proposed_prescription": None}
    for event in events:
        if event.kind == ENTERED_IN_ERROR or event.id in retracted or event.id in leave_out:
            continue
        if event.kind in LIST_KINDS:
            lists[LIST_KINDS[event.kind]].append(
                with_fields(event.payload, _log_fields(event, cancelled))
            )
            if event.kind == "prescription":
                latest["proposed_prescription"] = None  # a written prescription settles it
        elif event.kind in LATEST_KINDS:
            latest[LATEST_KINDS[event.kind]] = event.payload
        elif event.kind not in NOTE_KINDS and event.kind != PRESCRIPTION_CANCELLED:
            raise ValueError(f"unknown event kind {event.kind!r}")
    return lists, latest


def _cancellations(events: Sequence[_Event[Any]], retracted: set[str]) -> dict[str, str]:
    """prescription id -> the day it was cancelled (the first cancellation counts)."""
    cancelled: dict[str, str] = {}
    for event in events:
        if event.kind != PRESCRIPTION_CANCELLED or event.id in retracted:
            continue
        payload = event.payload
        content = json.loads(payload) if isinstance(payload, str) else payload
        cancelled.setdefault(str(content["prescription_id"]), str(content["date"]))
    return cancelled


def _log_fields(event: _Event[Any], cancelled: Mapping[str, str]) -> dict[str, str]:
    if event.kind == "prescription":
        fields = {"id": event.id}
        if event.id in cancelled:
            fields["cancelled"] = cancelled[event.id]
        return fields
    if event.kind == "dispense" and event.fills is not None:
        return {"prescription_id": event.fills}
    return {}


def _with_fields(payload: Mapping[str, Any], fields: dict[str, str]) -> Mapping[str, Any]:
    return {**payload, **fields} if fields else payload


def with_fields_text(payload: str, fields: dict[str, str]) -> str:
    """``payload`` (a JSON object's text) with ``fields`` added at its end (where a
    reader that meets a key twice keeps the last)."""
    if not fields:
        return payload
    added = ",".join(f"{json.dumps(key)}:{json.dumps(value)}" for key, value in fields.items())
    body = payload.rstrip()
    inner = body[: body.rindex("}")].rstrip()
    return f"{inner}{'' if inner.endswith('{') else ','}{added}}}"


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
