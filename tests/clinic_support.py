"""Shared by the store, API and CLI tests: fresh databases, a wired app, signed-in clients.

``ISOCOURSE_TEST_POSTGRES_URL`` (set in CI by ``.ci/run``) adds PostgreSQL to every
test that takes the ``database_url`` fixture; without it only SQLite runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

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


def fresh_database(kind: str, tmp_path: Path) -> str:
    """An empty, migrated database of ``kind``; its URL."""
    if kind == "sqlite":
        url = f"sqlite:///{(tmp_path / 'test.sqlite3').as_posix()}"
    else:
        url = os.environ[POSTGRES_URL_VARIABLE]
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    migrate(url)
    return url


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
