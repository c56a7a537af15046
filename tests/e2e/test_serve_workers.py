"""``isocourse serve --workers N``: N server processes on one port, each a whole app
over the same database (the verification's audit entries from either keep one chain)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import httpx2 as httpx
import pytest
import uvicorn
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


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_second_server_on_a_served_port_is_refused(tmp_path: Path, workers: str) -> None:
    """The listening socket is not shared (no ``SO_REUSEPORT``): a second server on a port
    another one serves stops with an error instead of taking part of its connections."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    environment = {**os.environ, "ISOCOURSE_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "isocourse", "serve", "--workers", workers]
    try:
        result = subprocess.run(
            [*command, "--port", str(port)],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        listener.close()
    assert result.returncode != 0
    assert "address already in use" in result.stderr.lower(), result.stderr


class Accepted(asyncio.Protocol):
    """Reports whether the connection it is given sends small writes at once."""

    def __init__(self, nodelay: asyncio.Future[int]) -> None:
        self.nodelay = nodelay

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        self.nodelay.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        transport.close()


def test_a_connection_accepted_on_the_workers_socket_sends_small_writes_at_once() -> None:
    """With ``--workers N`` uvicorn binds the listening socket itself and hands it to each
    worker. Bound as a TCP socket (protocol number ``IPPROTO_TCP``), asyncio sets
    ``TCP_NODELAY`` on every connection accepted on it; bound with protocol number 0 (as
    uvicorn did before 0.55), it did not, and a response written in two parts waited for
    the client's delayed acknowledgement: about 40 ms per request."""
    listener = uvicorn.Config(app="isocourse.api.app:app", host="127.0.0.1", port=0).bind_socket()

    async def accept_one() -> int:
        loop = asyncio.get_running_loop()
        nodelay: asyncio.Future[int] = loop.create_future()
        server = await loop.create_server(lambda: Accepted(nodelay), sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        try:
            return await asyncio.wait_for(nodelay, 10)
        finally:
            writer.close()
            server.close()

    try:
        assert asyncio.run(accept_one()) == 1
    finally:
        listener.close()


def test_serve_refuses_zero_workers() -> None:
    result = CliRunner().invoke(app, ["serve", "--workers", "0"])
    assert result.exit_code == 2
