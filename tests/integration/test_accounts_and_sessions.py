"""Accounts and sessions (issue 21): sessions that end, users that are disabled and never
reused, throttling shared by every worker and safe from races, client addresses only from
trusted proxies, CSRF bound to the session, calendar links that end. SQLite always,
PostgreSQL when configured (the ``database_url`` fixture)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from isocourse.api import create_app
from isocourse.auth.users import actor_of, add_user
from isocourse.service.accounts import change_user, operator_call, reset_password
from isocourse.service.audit import verify_chain
from isocourse.service.calendar_feed import issue_feed
from isocourse.service.context import Call
from isocourse.settings import Settings
from isocourse.store.tables import AuditEntryRow, SessionRow, SignInFailureRow, UserRow
from tests.clinic_support import ALLOWED_DEMO, NOW, PASSWORD, demo
from tests.web_support import csrf_of

API = "/api/v1"


class Clock:
    """A clock the test moves forward."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Site:
    app: FastAPI
    client: TestClient
    clock: Clock

    @property
    def system(self) -> Any:
        return self.app.state.wiring.system

    def add(self, email: str, role: str = "prescriber", clinic: str = "a", **more: Any) -> int:
        actor = add_user(
            self.system.store,
            email=email,
            role=role,
            clinic_id=clinic,
            password=PASSWORD,
            now=NOW,
            **more,
        )
        return actor.user_id

    def token(self, email: str, password: str = PASSWORD, **form: str) -> str:
        answer = self.client.post(
            f"{API}/auth/token", data={"username": email, "password": password, **form}
        )
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token

    def sign_in(self, email: str, password: str = PASSWORD, **form: str) -> int:
        data = {"username": email, "password": password, **form}
        return self.client.post(f"{API}/auth/token", data=data).status_code

    def worklist(self, token: str) -> Any:
        return self.client.get(f"{API}/worklist", headers=bearer(token))

    def audit(self, action: str) -> list[AuditEntryRow]:
        with self.system.store.reading() as session:
            query = select(AuditEntryRow).where(AuditEntryRow.action == action)
            return list(session.scalars(query.order_by(AuditEntryRow.id)))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_site(url: str, tmp_path: Path, **settings: Any) -> Iterator[Site]:
    clock = Clock()
    app = create_app(Settings(data_dir=tmp_path, database_url=url, **settings), clock=clock)
    with TestClient(app, follow_redirects=False) as client:
        site = Site(app, client, clock)
        site.add("doc@a.test")
        yield site


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[Site]:
    yield from make_site(database_url, tmp_path)


def page_log_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    form = {"email": email, "password": password, "csrf_token": csrf_of(page.text)}
    return client.post("/login", data=form)


# --- sessions that end ---------------------------------------------------------------------


def test_logging_out_ends_the_bearer_tokens_session_at_once(site: Site) -> None:
    token = site.token("doc@a.test")
    other = site.token("doc@a.test")  # a second session of the same user
    assert site.worklist(token).status_code == 200
    assert site.client.post(f"{API}/auth/logout", headers=bearer(token)).status_code == 204
    refused = site.worklist(token)
    assert refused.status_code == 401
    assert "ended" in refused.json()["error"]["message"]
    assert site.worklist(other).status_code == 200  # only that session ended
    assert site.client.post(f"{API}/auth/logout", headers=bearer(token)).status_code == 401
    [entry] = site.audit("session.revoked")
    assert entry.user_email == "doc@a.test" and entry.detail == "signed out"
    assert token not in entry.detail


def test_logging_out_of_the_pages_ends_the_cookies_session_for_pages_and_api(site: Site) -> None:
    browser = TestClient(site.app, follow_redirects=False)
    assert page_log_in(browser, "doc@a.test").status_code == 303
    cookie = browser.cookies["isocourse_session"]
    assert browser.get("/worklist").status_code == 200
    assert site.worklist(cookie).status_code == 200  # the same token format
    page = browser.get("/worklist")
    out = browser.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303
    stolen = TestClient(site.app, follow_redirects=False, cookies={"isocourse_session": cookie})
    assert stolen.get("/worklist").headers["location"] == "/login"
    assert site.worklist(cookie).status_code == 401


def test_a_session_ends_after_the_idle_timeout_and_at_its_lifetime(site: Site) -> None:
    token = site.token("doc@a.test")
    site.clock.now += timedelta(minutes=29)
    assert site.worklist(token).status_code == 200  # used: its last use is written
    site.clock.now += timedelta(minutes=29)
    assert site.worklist(token).status_code == 200  # 29 minutes since the last use
    site.clock.now += timedelta(minutes=30)
    idle = site.worklist(token)
    assert idle.status_code == 401
    assert "30 minutes without use" in idle.json()["error"]["message"]

    busy = site.token("doc@a.test")
    for _ in range(480 // 20 - 1):
        site.clock.now += timedelta(minutes=20)
        assert site.worklist(busy).status_code == 200
    site.clock.now += timedelta(minutes=20)  # 480 minutes after the sign-in
    expired = site.worklist(busy)
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]["message"]
    site.token("doc@a.test")  # a new sign-in sweeps the user's sessions past their lifetime
    with site.system.store.reading() as session:
        assert session.scalar(select(func.count()).select_from(SessionRow)) == 1


def test_a_removed_users_token_never_works_for_the_next_user(site: Site) -> None:
    """SQLite gave the next user the highest id again once that user was removed; a token
    naming a user id then signed in as the new user, in another clinic."""
    gone_id = site.add("leaving@a.test")
    token = site.token("leaving@a.test")
    with site.system.store.transaction() as session:  # removed in the database
        session.execute(delete(SessionRow).where(SessionRow.user_id == gone_id))
        session.execute(delete(UserRow).where(UserRow.id == gone_id))
    new_id = site.add("arriving@b.test", clinic="b")
    assert new_id > gone_id  # ids are never reused
    refused = site.worklist(token)
    assert refused.status_code == 401
    assert "no longer exists" in refused.json()["error"]["message"]


def test_sessions_are_stored_hashed_with_the_client_address(site: Site) -> None:
    token = site.token("doc@a.test")
    session_id = token.split(".")[0]
    with site.system.store.reading() as session:
        row = session.scalars(select(SessionRow)).one()
        assert row.id != session_id and session_id not in row.id
        assert row.client_address == "testclient"


# --- disabling, passwords ------------------------------------------------------------------


def test_disabling_a_user_ends_their_sessions_and_sign_ins_until_enabled(site: Site) -> None:
    user_id = site.add("nurse@a.test")
    token = site.token("nurse@a.test")
    call = operator_call("a", NOW)
    assert change_user(site.system, call, user_id, "disable", operator=True)
    assert site.worklist(token).status_code == 401
    disabled = site.client.post(
        f"{API}/auth/token", data={"username": "nurse@a.test", "password": PASSWORD}
    )
    assert disabled.status_code == 401
    assert "disabled" in disabled.json()["error"]["message"]
    assert change_user(site.system, call, user_id, "enable", operator=True)
    assert site.worklist(token).status_code == 401  # the old session stays ended
    assert site.sign_in("nurse@a.test") == 200
    [entry] = site.audit("user.disabled")
    assert entry.user_email.startswith("operator:") and "nurse@a.test" in entry.detail


def test_setting_a_password_ends_every_session_of_the_user(site: Site) -> None:
    user_id = site.add("nurse@a.test")
    tokens = [site.token("nurse@a.test") for _ in range(2)]
    ended = reset_password(
        site.system, operator_call("a", NOW), user_id, "violet harbour compass", operator=True
    )
    assert ended == 2
    assert [site.worklist(t).status_code for t in tokens] == [401, 401]
    assert site.sign_in("nurse@a.test") == 401
    assert site.sign_in("nurse@a.test", "violet harbour compass") == 200
    entries = site.audit("user.password_set")
    assert entries and "violet" not in entries[-1].detail


# --- throttling ----------------------------------------------------------------------------


def failures(site: Site) -> int:
    with site.system.store.reading() as session:
        return int(session.scalar(select(func.count()).select_from(SignInFailureRow)) or 0)


def test_two_workers_on_one_database_share_the_count(
    database_url: str, tmp_path: Path, site: Site
) -> None:
    """Two app instances (two server processes) on one database: five failures in all,
    alternating between them, lock the account in both."""
    second_app = create_app(
        Settings(data_dir=tmp_path, database_url=database_url), clock=site.clock
    )
    with TestClient(second_app) as second:
        statuses = []
        for attempt in range(5):
            client = site.client if attempt % 2 else second
            form = {"username": "doc@a.test", "password": "wrong password!"}
            statuses.append(client.post(f"{API}/auth/token", data=form).status_code)
        assert statuses == [401] * 5
        form = {"username": "doc@a.test", "password": PASSWORD}
        assert second.post(f"{API}/auth/token", data=form).status_code == 429
        assert site.client.post(f"{API}/auth/token", data=form).status_code == 429


def test_concurrent_wrong_passwords_all_count_and_none_beyond_the_limit_is_checked(
    site: Site,
) -> None:
    """Twelve wrong passwords at once: the limit of five holds (before, all twelve were
    checked), each checked one counts, the rest are refused unchecked."""
    start = threading.Barrier(12)

    def attempt(_: int) -> int:
        start.wait()
        return site.sign_in("doc@a.test", "wrong password!")

    with ThreadPoolExecutor(12) as pool:
        statuses = sorted(pool.map(attempt, range(12)))
    assert statuses == [401] * 5 + [429] * 7
    assert failures(site) == 5
    assert len(site.audit("sign_in.failed")) == 5
    assert len(site.audit("sign_in.locked")) == 7


def test_two_concurrent_wrong_passwords_both_count(site: Site) -> None:
    start = threading.Barrier(2)

    def attempt(_: int) -> int:
        start.wait()
        return site.sign_in("doc@a.test", "wrong password!")

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(attempt, range(2))) == [401, 401]
    assert failures(site) == 2


def test_sign_ins_are_audited_without_passwords(site: Site) -> None:
    site.sign_in("doc@a.test", "a wrong secret!")
    site.sign_in("nobody@a.test", "another secret!")
    token = site.token("doc@a.test")
    failed = site.audit("sign_in.failed")
    assert [e.user_email for e in failed] == ["doc@a.test", "(unknown account)"]
    assert "reason=wrong password" in failed[0].detail
    assert "address=testclient" in failed[0].detail
    [success] = site.audit("sign_in")
    for entry in [*failed, success]:
        for secret in ("a wrong secret!", "another secret!", PASSWORD, token, "nobody@"):
            assert secret not in entry.detail + entry.user_email
    with site.system.store.reading() as session:
        assert verify_chain(session).intact


def test_a_locked_account_still_signs_in_from_an_address_without_failures(
    database_url: str, tmp_path: Path
) -> None:
    """Locking the owner out is not free: the attacker's address is locked out, the
    owner's (no failures) is not; each fresh address gives an attacker one guess only."""
    for site in make_site(database_url, tmp_path, trusted_proxies="10.0.0.1"):
        proxy = TestClient(site.app, client=("10.0.0.1", 4000))

        def from_address(address: str, password: str, proxy: TestClient = proxy) -> int:
            form = {"username": "doc@a.test", "password": password}
            headers = {"X-Forwarded-For": address}
            return proxy.post(f"{API}/auth/token", data=form, headers=headers).status_code

        assert [from_address("203.0.113.9", "wrong password!") for _ in range(5)] == [401] * 5
        assert from_address("203.0.113.9", PASSWORD) == 429  # the attacker's address
        assert from_address("198.51.100.7", PASSWORD) == 200  # the owner's, no failures
        # a success clears the account; the attacker locks it again, then a fresh address
        # gets one guess, which then counts against it
        assert [from_address("203.0.113.9", "wrong password!") for _ in range(5)] == [401] * 5
        assert from_address("192.0.2.44", "wrong password!") == 401
        assert from_address("192.0.2.44", PASSWORD) == 429
        [through] = [e for e in site.audit("sign_in") if "through the account's lock" in e.detail]
        assert "address=198.51.100.7" in through.detail


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(
    database_url: str, tmp_path: Path
) -> None:
    """From an untrusted peer, rotating X-Forwarded-For does not escape the address
    limit; from the trusted proxy, the address is the one the proxy appended."""
    for site in make_site(
        database_url, tmp_path, trusted_proxies="10.0.0.0/8", login_attempts_per_address=3
    ):
        untrusted = TestClient(site.app, client=("192.0.2.10", 4000))
        statuses = [
            untrusted.post(
                f"{API}/auth/token",
                data={"username": f"user{i}@a.test", "password": "wrong password!"},
                headers={"X-Forwarded-For": f"198.51.100.{i}"},
            ).status_code
            for i in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
        trusted = TestClient(site.app, client=("10.1.2.3", 4000))
        answer = trusted.post(
            f"{API}/auth/token",
            data={"username": "doc@a.test", "password": PASSWORD},
            # the client wrote the first entry itself; the proxy appended the real one
            headers={"X-Forwarded-For": "192.0.2.10, 203.0.113.50"},
        )
        assert answer.status_code == 200
        [success] = site.audit("sign_in")
        assert "address=203.0.113.50" in success.detail


# --- CSRF ---------------------------------------------------------------------------------


def test_a_csrf_token_of_one_session_is_refused_in_another(site: Site) -> None:
    first = TestClient(site.app, follow_redirects=False)
    second = TestClient(site.app, follow_redirects=False)
    for browser in (first, second):
        assert page_log_in(browser, "doc@a.test").status_code == 303
    first_token = csrf_of(first.get("/worklist").text)
    second_token = csrf_of(second.get("/worklist").text)
    assert first_token != second_token
    refused = second.post("/logout", data={"csrf_token": first_token})
    assert refused.status_code == 403 and "Form expired" in refused.text
    assert second.post("/logout", data={"csrf_token": second_token}).status_code == 303


# --- calendar links -------------------------------------------------------------------------


def test_a_calendar_link_is_re_issued_revoked_and_stops_with_the_patients_login(
    site: Site,
) -> None:
    doctor = bearer(site.token("doc@a.test"))
    enrolled = site.client.post(f"{API}/patients", json=demo(ALLOWED_DEMO), headers=doctor)
    patient_id = enrolled.json()["patient_id"]
    browser = TestClient(site.app, follow_redirects=False)
    page_log_in(browser, "doc@a.test")

    def issue() -> str:
        page = browser.get(f"/patients/{patient_id}/access")
        browser.post(
            f"/patients/{patient_id}/calendar-link", data={"csrf_token": csrf_of(page.text)}
        )
        link = browser.get(f"/patients/{patient_id}/access").text
        return link.split('id="calendar-link">', 1)[1].split("<", 1)[0]

    first = issue()
    assert site.client.get(first).status_code == 200
    second = issue()
    assert site.client.get(first).status_code == 404  # re-issued: the old one stops
    assert site.client.get(second).status_code == 200
    page = browser.get(f"/patients/{patient_id}/access")
    revoke = f"/patients/{patient_id}/calendar-link/revoke"
    assert browser.post(revoke, data={"csrf_token": csrf_of(page.text)}).status_code == 303
    assert site.client.get(second).status_code == 404
    third = issue()
    user_id = site.add("sam@a.test", role="patient", patient_id=patient_id)
    change_user(site.system, operator_call("a", NOW), user_id, "disable", operator=True)
    assert site.client.get(third).status_code == 404  # the patient's login disabled
    revoked = site.audit("calendar_feed.revoked")
    assert len(revoked) == 1 and revoked[0].patient_id == patient_id


def test_a_calendar_link_stops_once_the_course_is_over(site: Site) -> None:
    """The last dose ended yesterday: the link serves while the dates it shows are ahead,
    and stops once every one of them is past."""
    doctor = bearer(site.token("doc@a.test"))
    record = demo(ALLOWED_DEMO)
    record["doses"][-1]["end"] = (NOW.date() - timedelta(days=1)).isoformat()
    enrolled = site.client.post(f"{API}/patients", json=record, headers=doctor)
    patient_id = enrolled.json()["patient_id"]
    with site.system.store.reading() as session:
        doc = session.scalar(select(UserRow).where(UserRow.email == "doc@a.test"))
    assert doc is not None
    call = Call(actor_of(doc), "test", NOW.date(), NOW)
    link = issue_feed(site.system, call, site.app.state.wiring.secret, patient_id)
    assert site.client.get(link).status_code == 200
    site.clock.now += timedelta(days=20)  # dates still ahead
    assert site.client.get(link).status_code == 200
    site.clock.now += timedelta(days=100)  # every date it shows is past
    assert site.client.get(link).status_code == 404


# --- migration ------------------------------------------------------------------------------


def test_user_ids_keep_rising_after_the_highest_is_removed(site: Site) -> None:
    first = site.add("one@a.test")
    second = site.add("two@a.test")
    with site.system.store.transaction() as session:
        session.execute(delete(UserRow).where(UserRow.id == second))
    third = site.add("three@a.test")
    assert first < second < third
