"""Web and API hardening: security headers, oversized and deeply nested bodies, login
rate limiting and lockout, the password policy, token expiry, the production secret,
secure cookies, and secrets kept out of the logs."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from isocourse.api import create_app
from isocourse.auth.users import add_user
from isocourse.errors import InvalidInput
from isocourse.settings import Settings
from tests.clinic_support import ALLOWED_DEMO, NOW, PASSWORD, Clinic, demo, fresh_database
from tests.web_support import csrf_of

STRONG_SECRET = "x" * 16 + "a-production-secret-of-length"
MIB = 1024 * 1024


class Clock:
    """A clock the test moves forward."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _app(tmp_path: Path, clock: Clock, **settings: object) -> FastAPI:
    url = fresh_database("sqlite", tmp_path)
    app = create_app(Settings(data_dir=tmp_path, database_url=url, **settings), clock=clock)
    store = app.state.wiring.system.store
    for name in ("doc", "other"):  # the address test guesses at unknown accounts
        add_user(
            store,
            email=f"{name}@a.test",
            role="prescriber",
            clinic_id="a",
            password=PASSWORD,
            now=NOW,
        )
    return app


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    with TestClient(_app(tmp_path, clock), follow_redirects=False) as test_client:
        yield test_client


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> int:
    form = {"username": email, "password": password}
    return client.post("/api/v1/auth/token", data=form).status_code


# --- security headers --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/api/v1/worklist", "/static/htmx.min.js", "/health"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    policy = headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in headers  # development runs on plain http


@pytest.mark.parametrize("path", ["/login", "/api/v1/worklist", "/health", "/openapi.json"])
def test_answers_are_never_stored_but_static_files_may_be(client: TestClient, path: str) -> None:
    """Every answer may carry a patient's data (tests/e2e/test_authorisation_matrix.py
    checks every route); the static files carry none and may be cached."""
    assert client.get(path).headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/htmx.min.js").headers.get("cache-control", "")


def test_pages_load_scripts_only_from_the_server_itself(client: TestClient) -> None:
    page = client.get("/login").text
    assert '<script src="/static/htmx.min.js"' in page or "/static/htmx.min.js" in page
    assert "<script>" not in page  # no inline script: the policy would refuse it


def test_production_adds_hsts_and_secure_cookies(tmp_path: Path, clock: Clock) -> None:
    app = _app(tmp_path, clock, environment="production", secret_key=STRONG_SECRET)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as browser:
        page = browser.get("/login")
        assert page.headers["strict-transport-security"].startswith("max-age=31536000")
        form = {"email": "doc@a.test", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
        answer = browser.post("/login", data=form)
    assert answer.status_code == 303
    session = next(c for c in answer.headers.get_list("set-cookie") if "isocourse_session" in c)
    assert {"HttpOnly", "Secure", "SameSite=lax"} <= {p.strip() for p in session.split(";")}


# --- bodies ------------------------------------------------------------------------------


def test_an_oversized_body_is_refused_with_413(client: TestClient) -> None:
    response = client.post(
        "/api/v1/evaluate", content=b"[" + b" " * (MIB + 1) + b"]", headers=_json()
    )
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "BODY_TOO_LARGE",
        "message": f"body: larger than {MIB} bytes",
        "field": "body",
    }


def test_an_oversized_stream_without_a_length_is_refused_with_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b" " * (64 * 1024)

    response = client.post("/api/v1/evaluate", content=chunks(), headers=_json())
    assert response.status_code == 413


@pytest.mark.parametrize("depth", [65, 1_000, 200_000])
def test_deeply_nested_json_is_refused_naming_the_body(client: TestClient, depth: int) -> None:
    body = b"[" * depth + b"]" * depth
    response = client.post("/api/v1/patients", content=body, headers=_json())
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "body"
    assert "nested deeper than 64" in response.json()["error"]["message"]


def test_brackets_inside_strings_do_not_count_as_nesting(clinic: Clinic) -> None:
    record = demo(ALLOWED_DEMO)
    record["symptoms"] = [{"date": "2026-03-01", "text": "[[[[" * 100 + "dry lips"}]
    response = clinic.client.post("/api/v1/evaluate", json=record, headers=clinic.as_user("doc_a"))
    assert response.status_code == 200, response.text


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": "Bearer not-checked-first"}


# --- log-in rate limiting and lockout ------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(
    client: TestClient, clock: Clock
) -> None:
    assert [sign_in(client, "doc@a.test", "wrong password!") for _ in range(5)] == [401] * 5
    locked = client.post(
        "/api/v1/auth/token", data={"username": "doc@a.test", "password": PASSWORD}
    )
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "TOO_MANY_ATTEMPTS"
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    assert sign_in(client, "other@a.test") == 200  # another account is not locked
    clock.now += timedelta(minutes=15)
    assert sign_in(client, "doc@a.test") == 200


def test_a_success_clears_the_accounts_failures(client: TestClient) -> None:
    for _ in range(3):
        assert [sign_in(client, "doc@a.test", "wrong password!") for _ in range(4)] == [401] * 4
        assert sign_in(client, "doc@a.test") == 200


def test_guessing_across_many_accounts_locks_the_address(client: TestClient) -> None:
    statuses = [sign_in(client, f"user{i}@a.test", "wrong password!") for i in range(20)]
    assert statuses == [401] * 20
    assert sign_in(client, "user21@a.test") == 429  # never failed itself: the address is locked


def test_the_web_login_shares_the_lockout(client: TestClient) -> None:
    page = client.get("/login")
    form = {"email": "doc@a.test", "password": "wrong password!", "csrf_token": csrf_of(page.text)}
    assert [client.post("/login", data=form).status_code for _ in range(5)] == [401] * 5
    right = {**form, "password": PASSWORD}
    locked = client.post("/login", data=right)
    assert locked.status_code == 429
    assert "too many failed sign-ins" in locked.text
    assert sign_in(client, "doc@a.test") == 429  # the API door is locked too


# --- password policy ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short pw 1", "at least 12 characters"),
        ("nurse.jones@a.test!", "e-mail"),
        ("my nurse.jones pass", "e-mail"),
        ("Password123456", "too easy to guess"),
        ("qwertyuiop!!", "too easy to guess"),
        ("123456789012", "too easy to guess"),
        ("aaaaaaaaaaaa", "too easy to guess (Repeats"),  # a repeat
        ("qwertyuiopas", "too easy to guess"),  # a keyboard run
        ("abcdefghijklmnop", "too easy to guess"),  # a sequence
        ("isotretinoin2026", "too easy to guess"),  # this program's words
        ("a" * 200 + "X", "too easy to guess"),  # past zxcvbn's 72 characters
        ("p" * 257, "at most 256"),
    ],
)
def test_a_weak_password_is_refused_naming_the_rule(
    client: TestClient, password: str, problem: str
) -> None:
    store = client.app.state.wiring.system.store  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput) as refused:
        add_user(
            store,
            email="nurse.jones@a.test",
            role="prescriber",
            clinic_id="a",
            password=password,
            now=NOW,
        )
    assert refused.value.field == "password"
    assert problem in refused.value.message


def test_a_long_unrelated_passphrase_is_accepted(client: TestClient) -> None:
    store = client.app.state.wiring.system.store  # type: ignore[attr-defined]
    actor = add_user(
        store,
        email="nurse.jones@a.test",
        role="prescriber",
        clinic_id="a",
        password="lantern orbit pebble",
        now=NOW,
    )
    assert actor.email == "nurse.jones@a.test"


# --- tokens and secrets ------------------------------------------------------------------


def test_an_expired_token_is_refused(client: TestClient, clock: Clock) -> None:
    form = {"username": "doc@a.test", "password": PASSWORD}
    token = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/worklist", headers=bearer).status_code == 200
    for _ in range(15):  # used every half hour less a minute: only the lifetime ends it
        clock.now += timedelta(minutes=29)
        assert client.get("/api/v1/worklist", headers=bearer).status_code == 200
    clock.now += timedelta(minutes=480 - 15 * 29)
    expired = client.get("/api/v1/worklist", headers=bearer)
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]["message"]


def test_a_trusted_proxy_that_is_not_an_address_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match=r"ISOCOURSE_TRUSTED_PROXIES: 'proxy\.local'"):
        Settings(trusted_proxies="10.0.0.1, proxy.local")
    assert len(Settings(trusted_proxies="10.0.0.1, 192.168.0.0/16").trusted_proxy_networks()) == 2


def test_production_refuses_the_default_or_a_short_secret() -> None:
    for secret in ({}, {"secret_key": "short-but-not-default"}):
        with pytest.raises(ValidationError, match="ISOCOURSE_SECRET_KEY"):
            Settings(environment="production", **secret)  # type: ignore[arg-type]


def test_isocourse_serve_refuses_to_start_in_production_with_the_default_secret(
    tmp_path: Path,
) -> None:
    environment = {
        **os.environ,
        "ISOCOURSE_ENVIRONMENT": "production",
        "ISOCOURSE_DATA_DIR": str(tmp_path),
    }
    environment.pop("ISOCOURSE_SECRET_KEY", None)
    finished = subprocess.run(
        [sys.executable, "-m", "isocourse", "serve", "--port", "1"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 2
    assert "refusing to start" in finished.stderr
    assert "ISOCOURSE_SECRET_KEY" in finished.stderr
    assert "Uvicorn running" not in finished.stderr


def test_passwords_and_tokens_never_reach_the_logs(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    form = {"username": "doc@a.test", "password": PASSWORD}
    token = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    client.post("/api/v1/auth/token", data={**form, "password": "a wrong secret!"})
    client.get("/api/v1/worklist", headers={"Authorization": f"Bearer {token}"})
    page = client.get("/login")
    login = {"email": "doc@a.test", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    client.post("/login", data=login)
    assert caplog.records, "nothing was logged: the test would prove nothing"
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in (PASSWORD, "a wrong secret!", token, token.split(".")[1]):
        assert secret not in logged
