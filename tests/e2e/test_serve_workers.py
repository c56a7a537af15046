"""``isocourse serve --workers N``: N server processes on one port, each a whole app
over the same database (the verification's audit entries from either keep one chain)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import httpx2 as httpx
from typer.testing import CliRunner

from isocourse.auth.users import add_user
from isocourse.cli import app
from isocourse.demo_patients import demo_records
from isocourse.service.audit import verify_chain
from isocourse.settings import Settings
from isocourse.store.database import migrate, open_store
from tests.clinic_support import ALLOWED_DEMO, PASSWORD
from tests.live_server import start_server


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


def test_serve_refuses_zero_workers() -> None:
    result = CliRunner().invoke(app, ["serve", "--workers", "0"])
    assert result.exit_code == 2
