"""``isocourse audit verify`` detects a changed, a removed and a reordered audit entry,
on SQLite and PostgreSQL, and says which entry breaks the chain; it reads one snapshot
and never stands in a writer's way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from isocourse.cli import app
from isocourse.service import audit
from isocourse.service.audit import ChainReport, record_audit
from isocourse.service.context import Actor, Call
from isocourse.store.database import Store
from isocourse.store.tables import AuditEntryRow
from tests.clinic_support import ALLOWED_DEMO, NOW, TODAY, Clinic, demo

runner = CliRunner()
Tampering = Callable[[Connection], None]


def _change(connection: Connection) -> None:
    connection.execute(text("UPDATE audit_entries SET action = 'record.nothing' WHERE id = 3"))


def _delete(connection: Connection) -> None:
    connection.execute(text("DELETE FROM audit_entries WHERE id = 3"))


def _swap_rows(connection: Connection) -> None:
    """Entries 3 and 4 trade places: each keeps its content and hash, ids exchanged."""
    for old, new in ((3, -1), (4, 3), (-1, 4)):
        connection.execute(
            text("UPDATE audit_entries SET id = :new WHERE id = :old"), {"old": old, "new": new}
        )


def _swap_contents(connection: Connection) -> None:
    """Entries 3 and 4 keep their ids but exchange everything else (order rewritten)."""
    columns = "at, user_email, role, clinic_id, action, patient_id, request_id, detail, " + (
        "previous_hash, hash"
    )
    query = text(f"SELECT id, {columns} FROM audit_entries WHERE id IN (3, 4)")
    rows = {row.id: row._asdict() for row in connection.execute(query)}
    connection.execute(text("UPDATE audit_entries SET hash = 'moving' WHERE id = 4"))
    assignments = ", ".join(f"{name} = :{name}" for name in columns.split(", "))
    for entry_id, other in ((3, 4), (4, 3)):
        values = {**rows[other], "id": entry_id}
        connection.execute(text(f"UPDATE audit_entries SET {assignments} WHERE id = :id"), values)


def _verify(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    url = clinic.app.state.wiring.system.store.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("ISOCOURSE_DATABASE_URL", url)
    result = runner.invoke(app, ["audit", "verify"])
    return result.exit_code, result.output


def _activity(clinic: Clinic) -> None:
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    for _ in range(4):
        url = f"/api/v1/patients/{patient_id}/record"
        assert clinic.client.get(url, headers=clinic.as_user("doc_a")).status_code == 200


def test_an_untouched_chain_verifies(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    _activity(clinic)
    exit_code, output = _verify(clinic, monkeypatch)
    assert exit_code == 0, output
    # the clinic fixture's six sign-ins, the enrolment and four reads
    assert f"audit chain intact: {len(clinic.headers) + 5} entries" in output


@pytest.mark.parametrize(
    ("tampering", "reason"),
    [
        (_change, "content was changed"),
        (_delete, "entry 3 is missing"),
        (_swap_rows, "does not link to the entry before it"),
        (_swap_contents, "does not link to the entry before it"),
    ],
    ids=["changed", "deleted", "reordered-ids", "reordered-contents"],
)
def test_tampering_is_detected_at_the_entry(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch, tampering: Tampering, reason: str
) -> None:
    _activity(clinic)
    with clinic.app.state.wiring.system.store.engine.begin() as connection:
        tampering(connection)
    exit_code, output = _verify(clinic, monkeypatch)
    assert exit_code == 1, output
    assert "audit chain BROKEN at entry 3" in output
    assert reason in output


def test_verify_reads_one_snapshot_while_a_writer_commits(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Verification holds no write lock (on SQLite a writer would wait for it) and walks the
    snapshot it began with (on PostgreSQL, READ COMMITTED would see the new entry)."""
    _activity(clinic)
    store: Store = clinic.app.state.wiring.system.store
    call = Call(Actor(1, "doc_a@a.test", "prescriber", "a"), "verify-snapshot", TODAY, NOW)
    walk = audit.verify_chain
    seen: dict[str, Any] = {}

    def walk_while_a_writer_commits(session: Session) -> ChainReport:
        seen["before"] = session.scalar(select(func.count()).select_from(AuditEntryRow))
        with store.transaction() as writer:  # another process's write, committed meanwhile
            record_audit(writer, call, "test.write", patient_id=None)
        if session.get_bind().dialect.name == "postgresql":
            seen["read_only"] = session.scalar(text("SHOW transaction_read_only"))
            seen["isolation"] = session.scalar(text("SHOW transaction_isolation"))
        seen["report"] = report = walk(session)
        return report

    monkeypatch.setattr(audit, "verify_chain", walk_while_a_writer_commits)
    exit_code, output = _verify(clinic, monkeypatch)
    assert exit_code == 0, output
    report: ChainReport = seen["report"]
    assert report.intact and report.entries == seen["before"]
    assert f"audit chain intact: {seen['before']} entries" in output
    if "read_only" in seen:
        assert (seen["read_only"], seen["isolation"]) == ("on", "repeatable read")
    monkeypatch.setattr(audit, "verify_chain", walk)
    exit_code, output = _verify(clinic, monkeypatch)  # the next run sees the new entry
    assert exit_code == 0, output
    assert f"audit chain intact: {seen['before'] + 1} entries" in output
