"""A demo clinic served for page tests: fictional patients, one login per role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from isocourse.api import create_app
from isocourse.auth.users import add_user
from isocourse.demo_patients import demo_patients
from isocourse.service.context import Call, ClinicSystem
from isocourse.service.enrolment import enrol_patient
from isocourse.settings import Settings
from tests.clinic_support import fresh_database

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
PASSWORD = "demo-password-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class WebClinic:
    app: FastAPI
    patient_ids: dict[str, str]  # record patient id (demo-01 ...) -> store id
    patient_login: str  # the record id of the patient who has a login

    def browser(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver", follow_redirects=True)


def seed(app: FastAPI) -> dict[str, str]:
    system: ClinicSystem = app.state.wiring.system
    actor = add_user(
        system.store,
        email="doc@demo.test",
        role="prescriber",
        clinic_id="demo",
        password=PASSWORD,
        now=NOW,
    )
    ids = {}
    for patient in demo_patients(TODAY):
        call = Call(actor=actor, request_id="seed", today=TODAY, now=NOW)
        answer = enrol_patient(system, call, patient.record, name=patient.name)
        ids[patient.record["patient"]["id"]] = answer.patient_id
    add_user(
        system.store,
        email="pharm@demo.test",
        role="pharmacist",
        clinic_id="demo",
        password=PASSWORD,
        now=NOW,
    )
    add_user(
        system.store,
        email="sam@demo.test",
        role="patient",
        clinic_id="demo",
        password=PASSWORD,
        now=NOW,
        patient_id=ids["demo-01"],
    )
    add_user(
        system.store,
        email="admin@demo.test",
        role="admin",
        clinic_id="demo",
        password=PASSWORD,
        now=NOW,
    )
    return ids


def web_clinic(tmp_path: Path) -> Iterator[WebClinic]:
    url = fresh_database("sqlite", tmp_path)
    app = create_app(Settings(data_dir=tmp_path, database_url=url), clock=lambda: NOW)
    yield WebClinic(app, seed(app), "demo-01")


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def log_in(client: TestClient, email: str) -> Any:
    page = client.get("/login")
    token = csrf_of(page.text)
    return client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})


def post_form(client: TestClient, url: str, page_html: str, **fields: str) -> Any:
    return client.post(url, data={"csrf_token": csrf_of(page_html), **fields})


def section(page: str, element_id: str) -> str:
    """The element with ``element_id`` (to its first closing tag of the same name)."""
    match = re.search(rf'<(\w+)[^>]*id="{element_id}"', page)
    assert match, f"no #{element_id} on the page"
    end = page.index(f"</{match.group(1)}>", match.end())
    return page[match.start() : end]


def text_of(html: str) -> str:
    """The text of some HTML, each tag a space, runs of white space one."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
