"""Accounts on the pages: the admin's page, a patient's invitation over SMTP, the second
factor (set up, required by the clinic, a code used once), and the password policy at
each of these doors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from isocourse.store.tables import AuditEntryRow, UserRow
from tests.interop_support import SmtpServer, smtp_server  # noqa: F401 (a fixture)
from tests.web_support import NOW, PASSWORD, WebClinic, csrf_of, log_in, post_form, web_clinic

LINK = re.compile(r"http://testserver/invitations/[A-Za-z0-9_-]+")


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[WebClinic]:
    for built in web_clinic(tmp_path):
        yield built
        built.app.state.wiring.system.store.close()  # what the tests wrote outside a client


def browser(clinic: WebClinic) -> TestClient:
    return TestClient(clinic.app, follow_redirects=True)


def user(clinic: WebClinic, email: str) -> UserRow:
    with clinic.app.state.wiring.system.store.reading() as session:
        found = session.scalar(select(UserRow).where(UserRow.email == email))
    assert found is not None
    return found


def actions(clinic: WebClinic) -> list[tuple[str, str, str]]:
    with clinic.app.state.wiring.system.store.reading() as session:
        rows = session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.id))
        return [(row.action, row.user_email, row.detail) for row in rows]


# --- the admin's page ----------------------------------------------------------------------


def test_the_admin_sees_their_clinics_users_and_disables_enables_and_resets(
    clinic: WebClinic,
) -> None:
    with browser(clinic) as admin, browser(clinic) as pharmacist:
        assert log_in(pharmacist, "pharm@demo.test").url.path == "/pharmacy"
        page = log_in(admin, "admin@demo.test")
        assert page.url.path == "/admin"
        users = page.text.split('id="users"', 1)[1]
        for email in ("doc@demo.test", "pharm@demo.test", "sam@demo.test", "admin@demo.test"):
            assert email in users
        assert "never" in users and "prescriber" in users
        pharm = user(clinic, "pharm@demo.test").id
        page = post_form(admin, f"/admin/users/{pharm}/disable", page.text)
        assert "is disabled" in page.text
        assert pharmacist.get("/pharmacy").url.path == "/login"  # its session ended
        page = post_form(admin, f"/admin/users/{pharm}/enable", page.text)
        assert "is enabled" in page.text
        weak = post_form(admin, f"/admin/users/{pharm}/password", page.text, password="a" * 12)
        assert weak.status_code == 422 and "too easy to guess" in weak.text
        page = post_form(
            admin, f"/admin/users/{pharm}/password", page.text, password="violet harbour compass"
        )
        assert "password is set" in page.text
        me = user(clinic, "admin@demo.test").id
        refused = post_form(admin, f"/admin/users/{me}/disable", page.text)
        assert refused.status_code == 422 and "cannot disable yourself" in refused.text
    done = [(a, who) for a, who, _ in actions(clinic) if a.startswith("user.")]
    assert done == [
        ("user.disabled", "admin@demo.test"),
        ("user.enabled", "admin@demo.test"),
        ("user.password_set", "admin@demo.test"),
    ]
    assert all("violet" not in detail for _, _, detail in actions(clinic))


def test_an_admin_cannot_touch_another_clinics_user(clinic: WebClinic) -> None:
    from isocourse.auth.users import add_user

    other = add_user(
        clinic.app.state.wiring.system.store,
        email="doc@elsewhere.test",
        role="prescriber",
        clinic_id="elsewhere",
        password=PASSWORD,
        now=NOW,
    )
    with browser(clinic) as admin:
        page = log_in(admin, "admin@demo.test")
        assert "doc@elsewhere.test" not in page.text
        refused = post_form(admin, f"/admin/users/{other.user_id}/disable", page.text)
        assert refused.status_code == 404
    assert user(clinic, "doc@elsewhere.test").disabled_at is None


# --- invitations ---------------------------------------------------------------------------


def _smtp(clinic: WebClinic, server: SmtpServer) -> None:
    settings = clinic.app.state.wiring.settings
    settings.smtp_host, settings.smtp_port = "127.0.0.1", server.port
    settings.smtp_from = "Demo clinic <reminders@demo.test>"


def test_a_patient_is_invited_by_e_mail_and_sets_a_password_once(
    clinic: WebClinic, smtp_server: SmtpServer  # noqa: F811 (the fixture)
) -> None:
    _smtp(clinic, smtp_server)
    patient = clinic.patient_ids["demo-02"]
    with browser(clinic) as doctor:
        page = log_in(doctor, "doc@demo.test")
        page = doctor.get(f"/patients/{patient}")
        assert 'id="patient-access"' in page.text
        url = f"/patients/{patient}/invitation"
        sent = post_form(doctor, url, page.text, email="kim@demo.test")
        assert sent.url.path.endswith("/access") and "invitation is sent" in sent.text
    [(recipients, message)] = smtp_server.sink.received
    assert recipients == ["kim@demo.test"]
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    link = LINK.search(body.get_content())
    assert link
    token = link.group(0).rsplit("/", 1)[1]
    with clinic.app.state.wiring.system.store.reading() as session:
        from isocourse.store.tables import InvitationRow

        stored = session.scalars(select(InvitationRow)).one()
        assert stored.token_hash != token and token not in stored.token_hash
    with browser(clinic) as phone:
        form = phone.get(link.group(0))
        assert form.status_code == 200 and "kim@demo.test" in form.text
        weak = post_form(
            phone, link.group(0), form.text, password="qwertyuiopas", password_again="qwertyuiopas"
        )
        assert weak.status_code == 422 and "too easy to guess" in weak.text
        done = post_form(
            phone,
            link.group(0),
            form.text,
            password="lantern orbit pebble",
            password_again="lantern orbit pebble",
        )
        assert done.status_code == 200 and "Your password is set" in done.text
        again = phone.get(link.group(0))
        assert again.status_code == 404  # used once
        page = post_form(
            phone, "/login", done.text, email="kim@demo.test", password="lantern orbit pebble"
        )
        assert page.url.path == "/me"
    kim = user(clinic, "kim@demo.test")
    assert kim.role == "patient" and kim.patient_id == patient
    assert [a for a, _, _ in actions(clinic) if a in ("user.invited", "invitation.accepted")] == [
        "user.invited",
        "invitation.accepted",
    ]


def test_an_invitation_expires_and_one_that_cannot_be_mailed_is_withdrawn(
    clinic: WebClinic,
) -> None:
    patient = clinic.patient_ids["demo-02"]
    with browser(clinic) as doctor:
        page = log_in(doctor, "doc@demo.test")
        page = doctor.get(f"/patients/{patient}")
        url = f"/patients/{patient}/invitation"
        failed = post_form(doctor, url, page.text, email="k@demo.test")
        assert failed.status_code == 503 and "withdrawn" in failed.text  # no SMTP configured
    from isocourse.service.context import Call
    from isocourse.service.invitations import invite_patient, open_invitation

    system = clinic.app.state.wiring.system
    with system.store.reading() as session:
        doc = session.scalar(select(UserRow).where(UserRow.email == "doc@demo.test"))
    from isocourse.auth.users import actor_of

    assert doc is not None
    invitation = invite_patient(
        system, Call(actor_of(doc), "t", NOW.date(), NOW), patient, "k@demo.test", hours=72
    )
    assert open_invitation(system, invitation.token, NOW + timedelta(hours=71)) == "k@demo.test"
    from isocourse.errors import NotFound

    with pytest.raises(NotFound):
        open_invitation(system, invitation.token, NOW + timedelta(hours=72))


@pytest.mark.parametrize(
    "email", ["kim\n@demo.test", "kim@demo.test\r\nBcc: eve@evil.test", "kim,eve@demo.test"]
)
def test_an_invitation_to_what_is_not_one_address_is_refused_before_any_mail(
    clinic: WebClinic, email: str
) -> None:
    """The address goes into the e-mail's header: a line break in it was a server error
    (after the invitation was stored), a comma would add a recipient."""
    patient = clinic.patient_ids["demo-02"]
    with browser(clinic) as doctor:
        log_in(doctor, "doc@demo.test")
        page = doctor.get(f"/patients/{patient}/access")
        refused = post_form(doctor, f"/patients/{patient}/invitation", page.text, email=email)
        assert refused.status_code == 422
        assert "Not invited. email: not an e-mail address" in refused.text
    assert "user.invited" not in [action for action, _, _ in actions(clinic)]


# --- the second factor ---------------------------------------------------------------------


def _set_up(page_browser: TestClient) -> str:
    page = page_browser.get("/account/second-factor")
    assert page.status_code == 200 and "<svg" in page.text  # the QR code, made here
    secret = re.search(r'name="secret" value="([A-Z2-7]+)"', page.text)
    assert secret
    wrong = post_form(
        page_browser, "/account/second-factor", page.text, secret=secret.group(1), code="000000"
    )
    assert wrong.status_code == 422
    code = pyotp.TOTP(secret.group(1)).at(NOW)
    done = post_form(
        page_browser, "/account/second-factor", page.text, secret=secret.group(1), code=code
    )
    assert done.status_code == 200
    return secret.group(1)


def _log_in_with(client: TestClient, email: str, code: str) -> Any:
    page = client.get("/login")
    form = {"email": email, "password": PASSWORD, "code": code, "csrf_token": csrf_of(page.text)}
    return client.post("/login", data=form)


def test_a_second_factor_is_set_up_then_needed_and_each_code_works_once(
    clinic: WebClinic,
) -> None:
    with browser(clinic) as doctor:
        log_in(doctor, "doc@demo.test")
        secret = _set_up(doctor)
        assert doctor.get("/worklist").status_code == 200  # this session goes on
    totp = pyotp.TOTP(secret)
    with browser(clinic) as again:
        assert log_in(again, "doc@demo.test").status_code == 401  # no code
        assert _log_in_with(again, "doc@demo.test", "123456").status_code == 401
        step = totp.timecode(NOW)
        fresh = totp.generate_otp(step + 1)  # the next step's code (one step of leeway)
        assert _log_in_with(again, "doc@demo.test", fresh).url.path == "/worklist"
    with browser(clinic) as replay:
        assert _log_in_with(replay, "doc@demo.test", fresh).status_code == 401  # used once
    form = {"username": "doc@demo.test", "password": PASSWORD}
    with TestClient(clinic.app) as api:
        assert api.post("/api/v1/auth/token", data=form).status_code == 401
        earlier = totp.generate_otp(step - 1)  # an earlier step than the one used: refused
        answer = api.post("/api/v1/auth/token", data={**form, "otp": earlier})
        assert answer.status_code == 401


def test_a_clinic_that_requires_a_second_factor_sends_staff_to_set_one_up(
    clinic: WebClinic,
) -> None:
    with browser(clinic) as admin, browser(clinic) as doctor:
        log_in(doctor, "doc@demo.test")
        assert doctor.get("/worklist").status_code == 200
        page = log_in(admin, "admin@demo.test")
        assert "may log in with a one-time code" in page.text
        page = post_form(admin, "/admin/second-factor", page.text, required="yes")
        # the sessions of the prescribers and admins without one end: the doctor's, and
        # the admin's own, who is sent to log in and set one up
        assert page.url.path == "/login"
        assert doctor.get("/worklist").url.path == "/login"
        landed = log_in(admin, "admin@demo.test")
        assert landed.url.path == "/account/second-factor"
    assert ("clinic.second_factor", "admin@demo.test", "required") in actions(clinic)
    with browser(clinic) as doctor:
        landed = log_in(doctor, "doc@demo.test")
        assert landed.url.path == "/account/second-factor"
        assert doctor.get("/worklist").url.path == "/account/second-factor"
        refused = doctor.post(
            "/api/v1/auth/token", data={"username": "doc@demo.test", "password": PASSWORD}
        )
        assert refused.status_code == 401 and "second factor" in refused.text
        _set_up(doctor)
        assert doctor.get("/worklist").status_code == 200
    with browser(clinic) as pharmacist:  # pharmacists are not required to
        assert log_in(pharmacist, "pharm@demo.test").url.path == "/pharmacy"


def test_a_set_up_with_a_key_the_page_did_not_show_is_refused_naming_it(
    clinic: WebClinic,
) -> None:
    """The key comes back from a hidden field: one that is not a key (too short for a
    TOTP, not base32) was a server error; now a 422 naming it, with a new key shown."""
    with browser(clinic) as doctor:
        log_in(doctor, "doc@demo.test")
        page = doctor.get("/account/second-factor")
        for key in ("", "A", "not a key!", "JBSWY3DP"):
            refused = post_form(doctor, "/account/second-factor", page.text, secret=key, code="1")
            assert refused.status_code == 422 and "secret: not the key" in refused.text
            shown = re.search(r'name="secret" value="([A-Z2-7]{32})"', refused.text)
            assert shown and shown.group(1) != key
    assert user(clinic, "doc@demo.test").totp_secret is None


def test_the_clinics_setting_takes_yes_or_no_and_nothing_else(clinic: WebClinic) -> None:
    """A garbled answer once read as "not required": it must not turn a requirement off."""
    with browser(clinic) as admin:
        page = log_in(admin, "admin@demo.test")
        for answer in ("", "Yes", "true", "no\n"):
            refused = post_form(admin, "/admin/second-factor", page.text, required=answer)
            assert refused.status_code == 422 and "required: yes or no" in refused.text
        assert "clinic.second_factor" not in [action for action, _, _ in actions(clinic)]
        done = post_form(admin, "/admin/second-factor", page.text, required="no")
        assert done.status_code == 200 and "setting is saved" in done.text
    assert ("clinic.second_factor", "admin@demo.test", "optional") in actions(clinic)


def test_a_locked_account_signs_in_with_its_second_factor(clinic: WebClinic) -> None:
    with browser(clinic) as doctor:
        log_in(doctor, "doc@demo.test")
        secret = _set_up(doctor)
    wrong = {"username": "doc@demo.test", "password": "not the password!"}
    right = {"username": "doc@demo.test", "password": PASSWORD}
    code = pyotp.TOTP(secret).generate_otp(pyotp.TOTP(secret).timecode(NOW) + 1)
    with TestClient(clinic.app) as api:
        statuses = [api.post("/api/v1/auth/token", data=wrong).status_code for _ in range(5)]
        assert statuses == [401] * 5
        assert api.post("/api/v1/auth/token", data=right).status_code == 429
        answer = api.post("/api/v1/auth/token", data={**right, "otp": code})
        assert answer.status_code == 200
