"""``isocourse backup`` while the clinic keeps writing, then ``isocourse restore``: the
restored system gives the same assessments, holds nothing written after the backup,
keeps every event with its audit entry, and an intact audit chain.

SQLite always; PostgreSQL when ``ISOCOURSE_TEST_POSTGRES_URL`` is set and ``pg_dump``
is on PATH (Debian's /usr/lib/postgresql/<version>/bin is added when present).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from isocourse.api import create_app
from isocourse.auth.users import actor_of
from isocourse.cli import app as cli
from isocourse.service.audit import verify_chain
from isocourse.service.context import Call, ClinicSystem
from isocourse.service.recording import record_event
from isocourse.settings import Settings
from isocourse.store.tables import AuditEntryRow, EventRow, UserRow
from tests.clinic_support import NOW, TODAY, Clinic, demo

runner = CliRunner()
QUIET = (0, 1, 2, 3)  # demo records whose assessments are compared
BUSY_WRITES = 40
LAB = {"date": "2026-03-14", "test": "triglycerides", "value": 900, "unit": "mg/dL"}


@pytest.fixture(autouse=True)
def _postgres_client_programs(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    if database_url.startswith("sqlite") or shutil.which("pg_dump"):
        return
    for found in sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"), reverse=True):
        monkeypatch.setenv("PATH", f"{found.parent}{os.pathsep}{os.environ['PATH']}")
        return
    pytest.skip("pg_dump is not installed")


def _use(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("ISOCOURSE_DATABASE_URL", url)


def _assessments(clinic: Clinic, patient_ids: list[str]) -> list[Any]:
    answers = []
    for patient_id in patient_ids:
        url = f"/api/v1/patients/{patient_id}/assessment"
        response = clinic.client.get(url, headers=clinic.as_user("doc_a"))
        assert response.status_code == 200, response.text
        answers.append(response.json())
    return answers


def _system(clinic: Clinic) -> ClinicSystem:
    system: ClinicSystem = clinic.app.state.wiring.system
    return system


def _busy_writer(clinic: Clinic, patient_id: str) -> threading.Thread:
    system = _system(clinic)
    with system.store.transaction() as session:
        actor = actor_of(
            session.scalars(select(UserRow).where(UserRow.email == "doc_a@a.test")).one()
        )

    def write() -> None:
        for number in range(BUSY_WRITES):
            call = Call(actor, f"busy-{number}", TODAY, NOW)
            entry = {"date": "2026-03-14", "text": f"dry lips {number}"}
            record_event(system, call, patient_id, "symptom", entry)

    return threading.Thread(target=write)


def _backup_while_writing(clinic: Clinic, busy_patient: str, file: Path) -> None:
    writer = _busy_writer(clinic, busy_patient)
    writer.start()
    result = runner.invoke(cli, ["backup", str(file)])
    writer.join(timeout=120)
    assert result.exit_code == 0, result.output
    assert file.stat().st_size > 0


def _events_match_audit(clinic: Clinic, patient_id: str) -> tuple[int, int]:
    with _system(clinic).store.transaction() as session:
        events = session.scalar(
            select(func.count()).where(
                EventRow.patient_id == patient_id, EventRow.kind == "symptom"
            )
        )
        audited = session.scalar(
            select(func.count()).where(
                AuditEntryRow.patient_id == patient_id,
                AuditEntryRow.action == "event.record.symptom",
            )
        )
        assert verify_chain(session).intact
    return int(events or 0), int(audited or 0)


def test_a_restored_backup_gives_the_same_assessments(
    clinic: Clinic, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, database_url)
    quiet = [clinic.enrol(demo(index)) for index in QUIET]
    busy = clinic.enrol(demo(0))
    before = _assessments(clinic, quiet)
    file = tmp_path / "clinic.backup"
    _backup_while_writing(clinic, busy, file)
    later = clinic.enrol(demo(4))
    url = f"/api/v1/patients/{quiet[0]}/events"
    lab = {"kind": "lab_result", "entry": LAB}
    assert clinic.client.post(url, json=lab, headers=clinic.as_user("doc_a")).status_code == 201
    assert _assessments(clinic, quiet) != before  # the restore has something to undo

    refused = runner.invoke(cli, ["restore", str(file)])
    assert refused.exit_code == 2
    assert "not empty" in refused.output
    restored = runner.invoke(cli, ["restore", str(file), "--force"])
    assert restored.exit_code == 0, restored.output
    assert "audit chain intact" in restored.output

    assert _assessments(clinic, quiet) == before
    gone = clinic.client.get(f"/api/v1/patients/{later}/record", headers=clinic.as_user("doc_a"))
    assert gone.status_code == 404
    events, audited = _events_match_audit(clinic, busy)
    assert events == audited <= BUSY_WRITES


def test_a_backup_restores_into_an_empty_database_without_force(
    clinic: Clinic, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("one PostgreSQL test database: covered by the --force restore")
    quiet = [clinic.enrol(demo(index)) for index in QUIET]
    before = _assessments(clinic, quiet)
    file = tmp_path / "clinic.backup"
    _use(monkeypatch, database_url)
    assert runner.invoke(cli, ["backup", str(file)]).exit_code == 0
    again = runner.invoke(cli, ["backup", str(file)])
    assert again.exit_code == 2
    assert "exists" in again.output

    empty = f"sqlite:///{(tmp_path / 'restored' / 'isocourse.sqlite3').as_posix()}"
    _use(monkeypatch, empty)
    restored = runner.invoke(cli, ["restore", str(file)])
    assert restored.exit_code == 0, restored.output
    settings = Settings(data_dir=tmp_path, database_url=empty)
    with _client_of(clinic, settings) as other:
        assert _assessments(other, quiet) == before


def test_a_file_that_is_not_a_backup_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite check; pg_restore refuses such a file itself")
    file = tmp_path / "notes.backup"
    file.write_text("not a database", encoding="utf-8")
    _use(monkeypatch, f"sqlite:///{(tmp_path / 'new.sqlite3').as_posix()}")
    refused = runner.invoke(cli, ["restore", str(file)])
    assert refused.exit_code == 2
    assert "not an SQLite backup" in refused.output


@contextmanager
def _client_of(clinic: Clinic, settings: Settings) -> Iterator[Clinic]:
    """A second running app on ``settings``, with the first clinic's signed-in users."""
    app = create_app(settings, clock=lambda: NOW)
    with TestClient(app) as client:
        yield Clinic(app, client, clinic.headers)
