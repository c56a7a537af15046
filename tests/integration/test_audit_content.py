"""The audit trail covers the record's content: every audit entry of a write names the
events it wrote with a digest of each, and ``isocourse audit verify`` recomputes the
digests from the stored events. An event changed, deleted, added or moved to another
patient in the database (plain SQL, past the application) makes verify exit 1 naming
it: event id, patient, kind. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Connection,
    column,
    create_engine,
    delete,
    func,
    insert,
    select,
    table,
    update,
)
from sqlalchemy.orm import Session

from isocourse.auth.roles import Actor
from isocourse.auth.users import actor_of, user_by_email
from isocourse.service.audit import fields_hash, record_audit, verify_content
from isocourse.service.context import Call
from isocourse.store.database import migrate
from isocourse.store.event_log import (
    DIGESTED_COLUMNS,
    UnauditedEvents,
    append_event,
    event_digest,
)
from isocourse.store.tables import AuditEntryRow, AuditHeadRow, Clinic, EventRow, PatientRow
from tests.audit_support import engine, entries, isocourse, last_entry_id, stored_event
from tests.clinic_support import NOW, TODAY, example_record, running_clinic
from tests.clinic_support import Clinic as RunningClinic

POSITIVE_TEST = {
    "kind": "pregnancy_test",
    "entry": {"date": "2026-03-14", "result": "positive", "method": "urine", "setting": "lab"},
}


def _activity(clinic: RunningClinic) -> dict[str, str]:
    """Two patients enrolled, a positive pregnancy test recorded, some reads."""
    first = clinic.enrol(example_record())
    second = clinic.enrol(example_record())
    recorded = clinic.client.post(
        f"/api/v1/patients/{first}/events", json=POSITIVE_TEST, headers=clinic.as_user("doc_a")
    )
    assert recorded.status_code == 201, recorded.text
    for _ in range(2):
        read = clinic.client.get(
            f"/api/v1/patients/{first}/record", headers=clinic.as_user("doc_a")
        )
        assert read.status_code == 200
    return {"first": first, "second": second, "positive": recorded.json()["event_id"]}


def _event_count(clinic: RunningClinic) -> int:
    with engine(clinic).connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(EventRow)) or 0)


def test_an_untouched_record_verifies(
    clinic: RunningClinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    _activity(clinic)
    code, output = isocourse(clinic, monkeypatch, "audit", "verify")
    assert code == 0, output
    assert "audit chain intact" in output
    assert f"record content intact: {_event_count(clinic)} events" in output
    assert "predate" not in output
    assert "no checkpoint given" in output


def test_each_write_entry_names_the_events_it_wrote(clinic: RunningClinic) -> None:
    ids = _activity(clinic)
    written = [entry for entry in entries(clinic) if entry.action == "event.record.pregnancy_test"]
    assert len(written) == 1
    named = json.loads(written[0].event_digests or "")
    assert [(event_id, kind) for event_id, kind, _ in named] == [
        (ids["positive"], "pregnancy_test")
    ]
    reads = [entry for entry in entries(clinic) if entry.action == "record.read"]
    assert reads and all(entry.event_digests == "[]" for entry in reads)


Tampering = Callable[[Connection, dict[str, str]], tuple[str, str, str, str]]


def _positive_made_negative(
    connection: Connection, ids: dict[str, str]
) -> tuple[str, str, str, str]:
    event = _event(connection, ids["positive"])
    assert event["payload"]["result"] == "positive"
    payload = {**event["payload"], "result": "negative"}
    connection.execute(update(EventRow).where(EventRow.id == event["id"]).values(payload=payload))
    return event["id"], ids["first"], "pregnancy_test", "CHANGED"


def _phq9_zeroed(connection: Connection, ids: dict[str, str]) -> tuple[str, str, str, str]:
    event = stored_event(connection, ids["first"], "mood_screen")
    payload = {**event["payload"], "items": [0] * 9}
    assert payload != event["payload"]
    connection.execute(update(EventRow).where(EventRow.id == event["id"]).values(payload=payload))
    return event["id"], ids["first"], "mood_screen", "CHANGED"


def _deleted(connection: Connection, ids: dict[str, str]) -> tuple[str, str, str, str]:
    event = _event(connection, ids["positive"])
    connection.execute(delete(EventRow).where(EventRow.id == event["id"]))
    return event["id"], ids["first"], "pregnancy_test", "MISSING"


def _added(connection: Connection, ids: dict[str, str]) -> tuple[str, str, str, str]:
    """A negative test slipped in after the positive one (the latest would win)."""
    event_id = str(uuid.uuid4())
    payload = {"date": "2026-03-15", "result": "negative", "method": "urine", "setting": "lab"}
    connection.execute(
        insert(EventRow).values(
            id=event_id,
            patient_id=ids["first"],
            kind="pregnancy_test",
            payload={**payload, "source": "clinician"},
            recorded_at=NOW,
        )
    )
    return event_id, ids["first"], "pregnancy_test", "NOT NAMED"


def _moved(connection: Connection, ids: dict[str, str]) -> tuple[str, str, str, str]:
    """The positive test moved to the other patient's record."""
    connection.execute(
        update(EventRow).where(EventRow.id == ids["positive"]).values(patient_id=ids["second"])
    )
    return ids["positive"], ids["second"], "pregnancy_test", "CHANGED"


def _event(connection: Connection, event_id: str) -> dict[str, Any]:
    row = connection.execute(
        select(EventRow.id, EventRow.payload).where(EventRow.id == event_id)
    ).one()
    return {"id": row.id, "payload": dict(row.payload)}


@pytest.mark.parametrize(
    "tampering",
    [_positive_made_negative, _phq9_zeroed, _deleted, _added, _moved],
    ids=["pregnancy-test-positive-to-negative", "phq9-zeroed", "deleted", "added", "moved"],
)
def test_a_tampered_clinical_entry_is_named(
    clinic: RunningClinic, monkeypatch: pytest.MonkeyPatch, tampering: Tampering
) -> None:
    ids = _activity(clinic)
    with engine(clinic).begin() as connection:
        event_id, patient_id, kind, problem = tampering(connection, ids)
    code, output = isocourse(clinic, monkeypatch, "audit", "verify")
    assert code == 1, output
    assert "audit chain intact" in output  # the entries themselves were not touched
    assert "record content BROKEN: 1 events" in output
    assert f"event {event_id} (patient {patient_id}, {kind}): {problem}" in output


def test_a_deleted_audit_entry_breaks_the_chain_and_orphans_its_events(
    clinic: RunningClinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _activity(clinic)
    entry = next(e for e in entries(clinic) if e.action == "event.record.pregnancy_test")
    with engine(clinic).begin() as connection:
        connection.execute(delete(AuditEntryRow).where(AuditEntryRow.id == entry.id))
    code, output = isocourse(clinic, monkeypatch, "audit", "verify")
    assert code == 1, output
    assert f"audit chain BROKEN at entry {entry.id}: entry {entry.id} is missing" in output
    assert f"event {ids['positive']} (patient {ids['first']}, pregnancy_test): NOT NAMED" in output


def test_an_edited_audit_entry_breaks_the_chain(
    clinic: RunningClinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attacker changes the test and the digest its entry names, without recomputing
    the entry's hash: the chain breaks at that entry."""
    ids = _activity(clinic)
    entry = next(e for e in entries(clinic) if e.action == "event.record.pregnancy_test")
    with engine(clinic).begin() as connection:
        _positive_made_negative(connection, ids)
    with clinic.app.state.wiring.system.store.reading() as session:
        changed = verify_content(session).problems[0]
    assert changed.event_id == ids["positive"]
    sqlite = engine(clinic).dialect.name == "sqlite"
    with engine(clinic).begin() as connection:
        columns = [getattr(EventRow, name) for name in DIGESTED_COLUMNS]
        row = connection.execute(select(*columns).where(EventRow.id == ids["positive"])).one()
        digest = event_digest(row._asdict(), stored_in_sqlite=sqlite)
        forged = json.dumps([[ids["positive"], "pregnancy_test", digest]], separators=(",", ":"))
        connection.execute(
            update(AuditEntryRow).where(AuditEntryRow.id == entry.id).values(event_digests=forged)
        )
    code, output = isocourse(clinic, monkeypatch, "audit", "verify")
    assert code == 1, output
    assert f"audit chain BROKEN at entry {entry.id}: its content was changed" in output
    assert "record content intact" in output  # the digest now matches: the chain caught it


def _doc_a(clinic: RunningClinic) -> Call:
    store = clinic.app.state.wiring.system.store
    with store.reading() as session:
        row = user_by_email(session, "doc_a@a.test")
        assert row is not None
        actor: Actor = actor_of(row)
    return Call(actor=actor, request_id="test", today=TODAY, now=NOW)


def test_an_event_no_audit_entry_names_is_not_committed(clinic: RunningClinic) -> None:
    """Fail closed: a transaction that appended an event and wrote no entry naming it
    is refused at commit, and nothing of it is stored."""
    patient_id = clinic.enrol(example_record())
    before = _event_count(clinic)
    store = clinic.app.state.wiring.system.store
    with pytest.raises(UnauditedEvents, match="1 event"), store.transaction() as session:
        append_event(
            session,
            patient_id=patient_id,
            kind="weight",
            payload={"date": "2026-03-15", "kg": 60},
            recorded_at=NOW,
            recorded_by=None,
        )
    assert _event_count(clinic) == before


def test_an_entry_names_only_its_own_patients_events(clinic: RunningClinic) -> None:
    first, second = clinic.enrol(example_record()), clinic.enrol(example_record())
    call = _doc_a(clinic)
    store = clinic.app.state.wiring.system.store
    with pytest.raises(RuntimeError, match="another patient"), store.transaction() as session:
        _append_weight(session, first)
        record_audit(session, call, "event.record.weight", patient_id=second)


def _append_weight(session: Session, patient_id: str) -> None:
    append_event(
        session,
        patient_id=patient_id,
        kind="weight",
        payload={"date": "2026-03-15", "kg": 60},
        recorded_at=NOW,
        recorded_by=None,
    )


def _downgrade(url: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(files("isocourse.store") / "migrations"))
    config.attributes["url"] = url
    command.downgrade(config, revision)


def _legacy_write(connection: Connection) -> str:
    """A patient and one event with their audit entry, as written before revision 0005
    (no digests: the entry's hash covers its fields alone)."""
    connection.execute(insert(Clinic).values(id="a", name="a", created_at=NOW))
    patient_id = str(uuid.uuid4())
    connection.execute(insert(PatientRow).values(id=patient_id, clinic_id="a", created_at=NOW))
    connection.execute(
        insert(EventRow).values(
            id=str(uuid.uuid4()),
            patient_id=patient_id,
            kind="weight",
            payload={"date": "2026-03-01", "kg": 61, "source": "clinician"},
            recorded_at=NOW,
        )
    )
    fields: dict[str, Any] = {
        "id": 1,
        "at": datetime(2026, 3, 1, 9, tzinfo=UTC).isoformat(),
        "user_email": "doc_a@a.test",
        "role": "prescriber",
        "clinic_id": "a",
        "action": "event.record.weight",
        "patient_id": patient_id,
        "request_id": "legacy",
        "detail": "",
        "previous_hash": "0" * 64,
    }
    fields["hash"] = fields_hash(fields)
    # the table as it was at revision 0003: no event_digests column
    legacy_entries = table("audit_entries", *(column(name) for name in fields))
    connection.execute(insert(legacy_entries).values(fields))
    connection.execute(
        update(AuditHeadRow).where(AuditHeadRow.id == 1).values(last_id=1, last_hash=fields["hash"])
    )
    return patient_id


def test_entries_before_the_digests_are_counted_not_passed_silently(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _downgrade(database_url, "0003")
    legacy = create_engine(database_url)
    with legacy.begin() as connection:
        _legacy_write(connection)
    legacy.dispose()
    migrate(database_url)
    for clinic in running_clinic(database_url, tmp_path):
        code, output = isocourse(clinic, monkeypatch, "audit", "verify")
        assert code == 0, output
        assert "audit chain intact" in output
        assert "1 entries predate content digests" in output
        assert "the 1 events of that time are not checked" in output
        assert "record content intact: 0 events" in output
        clinic.enrol(example_record())
        code, output = isocourse(clinic, monkeypatch, "audit", "verify")
        assert code == 0, output
        assert "1 entries predate content digests" in output
        assert f"record content intact: {_event_count(clinic) - 1} events" in output
        code, listed = isocourse(clinic, monkeypatch, "audit", "list", "--format", "json")
        assert code == 0, listed
        rows = json.loads(listed)
        assert rows[0]["events"] is None  # written before the digests
        assert rows[-1]["action"] == "patient.enrol" and rows[-1]["events"]
        assert last_entry_id(clinic) == rows[-1]["id"]
