"""A reading transaction sees one snapshot, whatever commits meanwhile, on SQLite and on
PostgreSQL (where the default, READ COMMITTED, would show each statement the latest
commits); on PostgreSQL it also refuses to write."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from isocourse.auth.roles import Actor
from isocourse.service.audit import record_audit
from isocourse.service.context import Call
from isocourse.store.database import Store
from isocourse.store.tables import AuditEntryRow
from tests.clinic_support import NOW, TODAY, Clinic

CALL = Call(Actor(1, "doc_a@a.test", "prescriber", "a"), "snapshot-test", TODAY, NOW)
COUNT = select(func.count()).select_from(AuditEntryRow)


def store_of(clinic: Clinic) -> Store:
    store: Store = clinic.app.state.wiring.system.store
    return store


def test_a_reading_transaction_does_not_see_what_commits_after_it_began(clinic: Clinic) -> None:
    store = store_of(clinic)
    with store.reading() as session:
        before = session.scalar(COUNT)
        assert before is not None
        with store.transaction() as writer:  # commits while the read is open
            record_audit(writer, CALL, "test.write", patient_id=None)
        assert session.scalar(COUNT) == before
    with store.reading() as session:
        assert session.scalar(COUNT) == before + 1


def test_a_reading_transaction_on_postgresql_refuses_to_write(clinic: Clinic) -> None:
    store = store_of(clinic)
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no read-only transactions; its readers take no write lock")
    with pytest.raises(DBAPIError, match="read-only transaction"), store.reading() as session:
        session.execute(text("UPDATE audit_head SET last_id = last_id"))
