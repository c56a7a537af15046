"""``isocourse serve --workers N``: N server processes on one port, each a whole app
over the same database (the verification's audit entries from either keep one chain)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import httpx2 as httpx
import pytest
from typer.testing import CliRunner

from isocourse.auth.users import add_user
from isocourse.cli import app
from isocourse.demo_patients import demo_records
from isocourse.service.audit import verify_chain
from isocourse.settings import Settings
from isocourse.store.database import migrate, open_store
from tests.clinic_support import ALLOWED_DEMO, PASSWORD
from tests.live_server import start_server

pytestmark = pytest.mark.slow  # starts `isocourse serve --workers 2` as processes


def worker_processes(parent_pid: int) -> list[int]:
    """The uvicorn workers: the children of the server process that run the app."""
    children = Path(f"/proc/{parent_pid}/task/{parent_pid}/children").read_text().split()
    return [
        int(pid)
        for pid in children
        if b"multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes()
        and b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def sign_in(client: httpx.Client, email: str) -> dict[str, str]:
    form = {"username": email, "password": PASSWORD}
    token = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_two_workers_serve_verifications_into_one_audit_chain(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'workers.sqlite3').as_posix()}"
    migrate(url)
    store = open_store(Settings(database_url=url, data_dir=tmp_path))
    now = datetime.now(tz=UTC)
    for email, role in (("doc@w.test", "prescriber"), ("pharm@w.test", "pharmacist")):
        add_user(store, email=email, role=role, clinic_id="w", password=PASSWORD, now=now)
    server = start_server(url, tmp_path, tmp_path / "serve.log", "--workers", "2")
    try:
        assert len(worker_processes(server.process.pid)) == 2
        record = demo_records(date.today())[ALLOWED_DEMO]  # noqa: DTZ011 (the server's today)
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            doctor = sign_in(client, "doc@w.test")
            patient_id = client.post("/api/v1/patients", json=record, headers=doctor).json()[
                "patient_id"
            ]
            order = {"days_supply": 30, "mg_per_day": 60}
            issued = client.post(
                f"/api/v1/patients/{patient_id}/prescriptions", json=order, headers=doctor
            )
            path = f"/api/v1/prescriptions/{issued.json()['prescription_id']}/verification"
            pharmacist = sign_in(client, "pharm@w.test")
            birth = {"birth_date": record["patient"]["birth_date"]}
            answers = [client.get(path, params=birth, headers=pharmacist) for _ in range(20)]
    finally:
        server.stop()
    assert [answer.status_code for answer in answers] == [200] * 20
    with store.reading() as session:
        report = verify_chain(session)
    store.close()
    assert report.intact and report.entries >= 20


def sockets_on_port(port: int, state: str) -> set[int]:
    """Inodes of the IPv4 TCP sockets on local ``port`` in ``state`` (0A: listening,
    01: established), from /proc/net/tcp."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
            inodes.add(int(fields[9]))
    return inodes


def socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


def test_connections_opened_at_once_are_spread_over_the_workers(tmp_path: Path) -> None:
    """Each worker listens on a socket of its own: 40 connections opened together are
    shared out by the kernel. (With one shared socket, the first worker awake took every
    waiting connection: 50/0 was seen.)"""
    url = f"sqlite:///{(tmp_path / 'spread.sqlite3').as_posix()}"
    migrate(url)
    server = start_server(url, tmp_path, tmp_path / "serve.log", "--workers", "2")
    port = int(server.base_url.rsplit(":", 1)[1])
    connections: list[socket.socket] = []
    try:
        workers = worker_processes(server.process.pid)
        wait_for(lambda: len(sockets_on_port(port, "0A")) == 2, "two listening sockets")
        connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        local_ports = {connection.getsockname()[1] for connection in connections}

        def accepted_by_each() -> list[int]:
            accepted = sockets_on_port(port, "01")
            return [len(socket_inodes(pid) & accepted) for pid in workers]

        wait_for(lambda: sum(accepted_by_each()) == 40, "all 40 connections accepted")
        shares = accepted_by_each()
    finally:
        for connection in connections:
            connection.close()
        server.stop()
    assert len(local_ports) == 40
    # a hash of the addresses: each worker's share is binomial(40, 1/2); under 10 has a
    # probability of about 1 in 2,000
    assert min(shares) >= 10, shares


def test_a_second_server_on_a_served_port_is_refused(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    environment = {"ISOCOURSE_DATA_DIR": str(tmp_path)}
    try:
        result = CliRunner().invoke(
            app, ["serve", "--workers", "2", "--port", str(port)], env=environment
        )
    finally:
        listener.close()
    assert result.exit_code != 0
    assert f"a server already answers on 127.0.0.1:{port}" in result.output


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_serve_refuses_zero_workers() -> None:
    result = CliRunner().invoke(app, ["serve", "--workers", "0"])
    assert result.exit_code == 2
