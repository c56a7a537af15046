"""Shared by the store, API and CLI tests: fresh databases, a wired app, signed-in clients.

``ISOCOURSE_TEST_POSTGRES_URL`` (set in CI by ``.ci/run``) adds PostgreSQL to every
test that takes the ``database_url`` fixture; without it only SQLite runs. Under
pytest-xdist each worker uses a database of its own, named after the URL's with the
worker's name added (``isocourse_test_gw0``, :func:`postgres_test_url`), created on the
same server: the workers never share a database or a template.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from isocourse.api import create_app
from isocourse.auth.users import add_user
from isocourse.demo_patients import demo_records
from isocourse.settings import Settings
from isocourse.store.database import migrate

POSTGRES_URL_VARIABLE = "ISOCOURSE_TEST_POSTGRES_URL"
TODAY = date(2026, 3, 15)
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "course-record.json"
ALLOWED_DEMO = 0  # demo-01: a plain course, prescription allowed today
BLOCKED_DEMO = 3  # demo-04: suicidal ideation on the mood screen blocks


def database_params() -> list[Any]:
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(
                not os.environ.get(POSTGRES_URL_VARIABLE),
                reason=f"{POSTGRES_URL_VARIABLE} is not set",
            ),
        ),
    ]


def postgres_test_url() -> str:
    """``ISOCOURSE_TEST_POSTGRES_URL``; under pytest-xdist, with the worker's name added to
    the database's (``.../isocourse_test_gw1``), so that parallel workers, which recreate
    their database for every test, each have one of their own."""
    url = make_url(os.environ[POSTGRES_URL_VARIABLE])
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        assert url.database, "the PostgreSQL test URL names its database"
        url = url.set(database=f"{url.database}_{worker}")
    return url.render_as_string(hide_password=False)


def fresh_database(kind: str, tmp_path: Path, *, migrated: bool = True) -> str:
    """An empty database of ``kind``, migrated unless told not to; its URL. A migrated one
    is a copy of a template migrated once per test run (running the migrations for every
    test cost most of a second)."""
    if kind == "sqlite":
        path = tmp_path / "test.sqlite3"
        if migrated:
            shutil.copyfile(_sqlite_template(), path)
        return f"sqlite:///{path.as_posix()}"
    url = postgres_test_url()
    _postgres_from_template(url, migrated=migrated)
    return url


_TEMPLATES: dict[str, str] = {}


def _sqlite_template() -> Path:
    if "sqlite" not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="isocourse-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "template.sqlite3"
        migrate(f"sqlite:///{path.as_posix()}")
        engine = create_engine(f"sqlite:///{path.as_posix()}")
        with engine.begin() as connection:  # everything in the one file, nothing in a WAL
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        engine.dispose()
        _TEMPLATES["sqlite"] = str(path)
    return Path(_TEMPLATES["sqlite"])


def _postgres_from_template(url: str, *, migrated: bool = True) -> None:
    """Recreate the test database (connected to the server's ``postgres`` database, so it
    need not exist yet) as a copy of a migrated template (CREATE DATABASE ... TEMPLATE),
    or of PostgreSQL's empty ``template0``, ending whatever connections an earlier test
    left open. The template is named after the database: one per xdist worker."""
    target = make_url(url)
    assert target.database, "the PostgreSQL test URL names its database"
    template = f"{target.database}_template" if migrated else "template0"
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            if migrated and _TEMPLATES.get("postgresql") != template:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{template}"'))
                migrate(target.set(database=template).render_as_string(hide_password=False))
                _TEMPLATES["postgresql"] = template
            connection.execute(
                text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
            )
            connection.execute(
                text(f'CREATE DATABASE "{target.database}" TEMPLATE "{template}"')
            )
    finally:
        admin.dispose()


def example_record() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return document


def demo(index: int) -> dict[str, Any]:
    return demo_records(TODAY)[index]


@dataclass
class Clinic:
    """A running app and its signed-in users, by name."""

    app: FastAPI
    client: TestClient
    headers: dict[str, dict[str, str]]

    def as_user(self, name: str, **extra: str) -> dict[str, str]:
        return {**self.headers[name], **extra}

    def enrol(self, record: dict[str, Any], user: str = "doc_a") -> str:
        response = self.client.post("/api/v1/patients", json=record, headers=self.as_user(user))
        assert response.status_code == 201, response.text
        patient_id: str = response.json()["patient_id"]
        return patient_id

    def add(self, name: str, role: str, clinic: str, patient_id: str | None = None) -> None:
        store = self.app.state.wiring.system.store
        email = f"{name}@{clinic}.test"
        add_user(
            store,
            email=email,
            role=role,
            clinic_id=clinic,
            password=PASSWORD,
            now=NOW,
            patient_id=patient_id,
        )
        form = {"username": email, "password": PASSWORD}
        token = self.client.post("/api/v1/auth/token", data=form).json()["access_token"]
        self.headers[name] = {"Authorization": f"Bearer {token}"}


def running_clinic(database_url: str, tmp_path: Path) -> Iterator[Clinic]:
    """Clinics a and b, with a prescriber, pharmacist and admin each (doc_a, pharm_b ...)."""
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    app = create_app(settings, clock=lambda: NOW)
    with TestClient(app) as client:
        clinic = Clinic(app, client, {})
        for site in ("a", "b"):
            clinic.add(f"doc_{site}", "prescriber", site)
            clinic.add(f"pharm_{site}", "pharmacist", site)
            clinic.add(f"admin_{site}", "admin", site)
        yield clinic
