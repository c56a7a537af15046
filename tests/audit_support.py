"""Shared by the audit-trail tests: the CLI run against a clinic's database, tampering
done as an attacker with database access would (plain SQL, past the application)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import Connection, Engine, select
from typer.testing import CliRunner

from isocourse.cli import app
from isocourse.store.tables import AuditEntryRow, EventRow
from tests.clinic_support import Clinic

runner = CliRunner()


def engine(clinic: Clinic) -> Engine:
    store_engine: Engine = clinic.app.state.wiring.system.store.engine
    return store_engine


def use_database(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the command line at the clinic's database."""
    url = engine(clinic).url.render_as_string(hide_password=False)
    monkeypatch.setenv("ISOCOURSE_DATABASE_URL", url)


def isocourse(clinic: Clinic, monkeypatch: pytest.MonkeyPatch, *arguments: str) -> tuple[int, str]:
    """``isocourse ARGUMENTS`` against the clinic's database: exit code and output
    (standard output and error, as a terminal shows them)."""
    result = run(clinic, monkeypatch, *arguments)
    return result.exit_code, result.output


def run(clinic: Clinic, monkeypatch: pytest.MonkeyPatch, *arguments: str) -> Result:
    """``isocourse ARGUMENTS`` against the clinic's database (``stdout``, ``stderr`` apart)."""
    use_database(clinic, monkeypatch)
    return runner.invoke(app, list(arguments))


def stored_event(connection: Connection, patient_id: str, kind: str) -> dict[str, Any]:
    """The patient's first stored event of ``kind``: id, payload, sequence."""
    row = connection.execute(
        select(EventRow.id, EventRow.payload, EventRow.sequence)
        .where(EventRow.patient_id == patient_id, EventRow.kind == kind)
        .order_by(EventRow.sequence)
        .limit(1)
    ).one()
    return {"id": row.id, "payload": dict(row.payload), "sequence": row.sequence}


def entries(clinic: Clinic, *, after: int = 0) -> list[AuditEntryRow]:
    """The audit entries after entry ``after``, in order."""
    with clinic.app.state.wiring.system.store.reading() as session:
        query = select(AuditEntryRow).where(AuditEntryRow.id > after).order_by(AuditEntryRow.id)
        return list(session.scalars(query))


def last_entry_id(clinic: Clinic) -> int:
    found = entries(clinic)
    return found[-1].id if found else 0
