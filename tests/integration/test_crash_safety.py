"""Crash safety: writes stream at a running ``isocourse serve``, the process is killed
with SIGKILL mid-stream, and after a restart every acknowledged write is there, every
write is whole or absent (its event and its audit entry, both or neither), the audit
chain is intact, and retrying the unacknowledged writes with their Idempotency-Key
records each exactly once.

SQLite always (the kill is the database's crash too: it runs in the process).
PostgreSQL when ``ISOCOURSE_TEST_POSTGRES_URL`` is set (CI) and the server programs
are installed: the test starts its own PostgreSQL with the durable defaults (fsync
on), and after killing the app it also crashes PostgreSQL (immediate stop, WAL
recovery on restart).
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url

from isocourse.auth.users import add_user
from isocourse.service.audit import verify_chain
from isocourse.settings import Settings
from isocourse.store.database import migrate, open_store
from isocourse.store.tables import AuditEntryRow, EventRow
from tests.clinic_support import ALLOWED_DEMO, NOW, PASSWORD, POSTGRES_URL_VARIABLE, demo
from tests.live_server import ServerProcess, durable_postgres, postgres_bin, start_server
from tests.security_figures import record_figure

pytestmark = pytest.mark.slow  # starts a server and kills it (SIGKILL)

WRITERS = 4
KILL_AFTER_ACKNOWLEDGED = 120
EMAIL = "doc@crash.test"


@dataclass
class Stream:
    """Writes numbered in order of sending; the ones the server acknowledged (201)."""

    attempted: set[int] = field(default_factory=set)
    acknowledged: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_number: int = 0

    def take(self) -> int:
        with self.lock:
            self.next_number += 1
            self.attempted.add(self.next_number)
            return self.next_number


def write(client: httpx.Client, patient_id: str, token: str, number: int) -> httpx.Response:
    key = f"crash-{number}"
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key, "X-Request-ID": key}
    body = {"kind": "symptom", "entry": {"date": "2026-03-14", "text": f"crash write {number}"}}
    return client.post(f"/api/v1/patients/{patient_id}/events", json=body, headers=headers)


def _writer(server: ServerProcess, patient_id: str, token: str, stream: Stream) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        while True:
            number = stream.take()
            try:
                response = write(client, patient_id, token, number)
            except httpx.TransportError:
                return  # the server is gone: this write is unacknowledged
            assert response.status_code == 201, response.text
            with stream.lock:
                stream.acknowledged.add(number)


def _sign_in_and_enrol(server: ServerProcess) -> tuple[str, str]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        form = {"username": EMAIL, "password": PASSWORD}
        token: str = client.post("/api/v1/auth/token", data=form).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        enrolled = client.post("/api/v1/patients", json=demo(ALLOWED_DEMO), headers=bearer)
        assert enrolled.status_code == 201, enrolled.text
        return token, enrolled.json()["patient_id"]


def _stream_and_kill(server: ServerProcess, patient_id: str, token: str) -> Stream:
    stream = Stream()
    threads = [
        threading.Thread(target=_writer, args=(server, patient_id, token, stream))
        for _ in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    while len(stream.acknowledged) < KILL_AFTER_ACKNOWLEDGED and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(random.uniform(0, 0.05))  # land anywhere in a request, not just after an answer
    server.kill()
    for thread in threads:
        thread.join(timeout=60)
    return stream


def _stored(database_url: str, patient_id: str) -> tuple[dict[int, int], dict[int, int], bool]:
    """Events and audit entries per write number; whether the audit chain is intact."""
    store = open_store(Settings(database_url=database_url))
    try:
        with store.transaction() as session:
            texts = session.scalars(
                select(EventRow.payload).where(
                    EventRow.patient_id == patient_id, EventRow.kind == "symptom"
                )
            )
            events = _count(int(p["text"].rsplit(" ", 1)[1]) for p in texts)
            audit_ids = session.scalars(
                select(AuditEntryRow.request_id).where(
                    AuditEntryRow.action == "event.record.symptom"
                )
            )
            audited = _count(int(r.rsplit("-", 1)[1]) for r in audit_ids)
            intact = verify_chain(session).intact
    finally:
        store.close()
    return events, audited, intact


def _count(numbers: Iterator[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for number in numbers:
        counts[number] = counts.get(number, 0) + 1
    return counts


def _prepare(database_url: str) -> None:
    migrate(database_url)
    store = open_store(Settings(database_url=database_url))
    try:
        add_user(
            store, email=EMAIL, role="prescriber", clinic_id="crash", password=PASSWORD, now=NOW
        )
    finally:
        store.close()


def crash_and_check(
    database_url: str, tmp_path: Path, crash_database: Callable[[], None] | None = None
) -> dict[str, int]:
    _prepare(database_url)
    log = tmp_path / "server.log"
    server = start_server(database_url, tmp_path, log)
    try:
        token, patient_id = _sign_in_and_enrol(server)
        stream = _stream_and_kill(server, patient_id, token)
    finally:
        server.stop()
    if crash_database is not None:
        crash_database()
    restarted = start_server(database_url, tmp_path, log)
    try:
        events, audited, intact = _stored(database_url, patient_id)
        figures = _check_after_crash(stream, events, audited, intact)
        _retry_unacknowledged(restarted, patient_id, token, stream)
        events, audited, intact = _stored(database_url, patient_id)
    finally:
        restarted.stop()
    assert intact
    assert events == audited == dict.fromkeys(stream.attempted, 1)
    for secret in (PASSWORD, token):
        assert secret not in log.read_text(errors="replace")
    return figures


def _check_after_crash(
    stream: Stream, events: dict[int, int], audited: dict[int, int], intact: bool
) -> dict[str, int]:
    lost = stream.acknowledged - events.keys()
    assert lost == set(), f"acknowledged writes lost: {sorted(lost)}"
    half = {n for n in stream.attempted if events.get(n, 0) != audited.get(n, 0)}
    assert half == set(), f"writes half-present (event without audit or the reverse): {half}"
    assert set(events) <= stream.attempted
    assert all(count == 1 for count in events.values())
    assert intact, "the audit chain is broken after the crash"
    unacknowledged = stream.attempted - stream.acknowledged
    return {
        "acknowledged": len(stream.acknowledged),
        "lost": len(lost),
        "unacknowledged": len(unacknowledged),
        "unacknowledged_but_committed": len(unacknowledged & events.keys()),
        "half_present": len(half),
    }


def _retry_unacknowledged(
    server: ServerProcess, patient_id: str, token: str, stream: Stream
) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        for number in sorted(stream.attempted - stream.acknowledged):
            response = write(client, patient_id, token, number)
            assert response.status_code == 201, response.text


def _report(name: str, figures: dict[str, int]) -> None:
    for key, value in figures.items():
        record_figure(f"crash test ({name}): writes {key.replace('_', ' ')}", value)


def test_sqlite_keeps_every_acknowledged_write_through_a_sigkill(tmp_path: Path) -> None:
    database = tmp_path / "crash.sqlite3"
    figures = crash_and_check(f"sqlite:///{database.as_posix()}", tmp_path)
    _report("SQLite", figures)
    assert figures["acknowledged"] >= KILL_AFTER_ACKNOWLEDGED
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.fixture
def durable_postgres_url() -> Iterator[tuple[str, Callable[[], None]]]:
    bin_dir = postgres_bin()
    if not os.environ.get(POSTGRES_URL_VARIABLE) or bin_dir is None:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set or PostgreSQL is not installed")
    with durable_postgres(bin_dir) as server:

        def crash_database() -> None:
            server.crash()
            server.start()

        yield server.url, crash_database


def test_postgresql_keeps_every_acknowledged_write_through_a_sigkill_and_a_crash(
    durable_postgres_url: tuple[str, Callable[[], None]],
    tmp_path: Path,
) -> None:
    url, crash_database = durable_postgres_url
    assert _durable(url)
    figures = crash_and_check(url, tmp_path, crash_database)
    _report("PostgreSQL, fsync on", figures)
    assert figures["acknowledged"] >= KILL_AFTER_ACKNOWLEDGED


def _durable(url: str) -> bool:
    engine = create_engine(make_url(url))
    try:
        with engine.connect() as connection:
            settings = {
                name: connection.exec_driver_sql(f"SHOW {name}").scalar_one()
                for name in ("fsync", "synchronous_commit", "full_page_writes")
            }
    finally:
        engine.dispose()
    return set(settings.values()) == {"on"}
