"""A patient's name as the clinic knows them: recorded by a prescriber, read where a
person must recognise the patient (the course page, the pharmacy counter).

The name is an event of the patient's log (kind ``patient_name``), so a change keeps
the old name in the history and a mistake is marked entered in error like any entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlalchemy.orm import Session

from isocourse.errors import InvalidInput
from isocourse.service.audit import record_audit
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.patients import patient_for
from isocourse.service.unit_of_work import Answer, fingerprint, write_once
from isocourse.store.event_log import append_event
from isocourse.store.fold import ENTERED_IN_ERROR, PATIENT_NAME

#: the longest name accepted (characters)
NAME_MAX: Final = 200


def checked_name(text: str) -> str:
    """The name as it is kept: white space trimmed and runs of it made one space;
    refused when empty, too long or holding control characters."""
    name = " ".join(text.split())
    if not name:
        raise InvalidInput("name", "write the patient's name")
    if len(text.strip()) > NAME_MAX:
        raise InvalidInput("name", f"at most {NAME_MAX} characters")
    if any(not character.isprintable() for character in name):
        raise InvalidInput("name", "letters, spaces and punctuation only")
    return name


def name_patient(system: ClinicSystem, call: Call, patient_id: str, text: str) -> Answer:
    """Record the patient's name (prescriber); the latest standing one counts."""
    require_role(call.actor, "prescriber")
    name = checked_name(text)

    def work(session: Session) -> Answer:
        patient_for(session, call.actor, patient_id)
        row = append_event(
            session,
            patient_id=patient_id,
            kind=PATIENT_NAME,
            payload={"name": name},
            recorded_at=call.now,
            recorded_by=call.actor.user_id,
        )
        record_audit(session, call, "patient.name", patient_id=patient_id)
        return {"event_id": row.id, "kind": PATIENT_NAME, "entry": {"name": name}}

    return write_once(system, call, fingerprint("name", patient_id, name), work)


def standing_name(events: Sequence[Mapping[str, Any]]) -> str | None:
    """The latest name in a patient's event list (:func:`~isocourse.service.reading.
    list_events`) not marked entered in error, if any."""
    retracted = {event["corrects"] for event in events if event["kind"] == ENTERED_IN_ERROR}
    names = [
        str(event["entry"].get("name", ""))
        for event in events
        if event["kind"] == PATIENT_NAME and event["event_id"] not in retracted
    ]
    return names[-1] if names and names[-1] else None
