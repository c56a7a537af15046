"""Hypothesis on the pages (left out of the OpenAPI schema, so schemathesis never sees
them): every form posted by a signed-in user of the right role, with its CSRF token,
one field at a time replaced by an odd value (NaN, inf, 1e300, a date in year 9999 or
year 1, 900 KB of text, control characters, unicode, nothing) or left out; and every
page fetched with generated query and path parameters.

What must hold: never a server error; a value no field may hold (a number that is not
a number or not finite, a date outside 1900-2100 or no date at all, a required field
left empty, text over its length, a choice not offered) is refused with a 4xx page
whose error names the field in words. The rule check (``prescribe/check``) is an htmx
fragment: it answers 200 so that htmx shows it, with the problem in it.

Budget: ``FORM_EXAMPLES`` posts per form and ``PAGE_EXAMPLES`` fetches in all, about
20 s on two cores; ``ISOCOURSE_FUZZ_SCALE`` multiplies them, as for the API fuzzing.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import pyotp
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isocourse.auth.password_policy import MAX_PASSWORD_LENGTH
from isocourse.auth.users import actor_of, add_user, user_by_email
from isocourse.knowledge.loader import load_knowledge
from isocourse.record_parser import FREE_TEXT_MAX, MEDICATION_NAME_MAX
from isocourse.service.calendar_feed import current_feed_path, issue_feed
from isocourse.service.context import Call, ClinicSystem
from isocourse.service.invitations import invite_patient
from isocourse.web.forms import FormField, event_forms
from isocourse.web.session import CSRF_COOKIE
from tests.e2e.authorisation_policy import POLICY
from tests.fuzz_values import ODD_DATES, odd_date_text, odd_number_text, odd_text
from tests.interop_support import SmtpServer, running_smtp_server
from tests.security_figures import add_to_figure
from tests.web_support import NOW, PASSWORD, TODAY, WebClinic, csrf_of, log_in, web_clinic

SCALE: Final = max(1, int(os.environ.get("ISOCOURSE_FUZZ_SCALE", "1")))
FORM_EXAMPLES: Final = 12 * SCALE
PAGE_EXAMPLES: Final = 60 * SCALE
DAY: Final = TODAY.isoformat()
EMAIL: Final = {
    "prescriber": "doc@demo.test",
    "pharmacist": "pharm@demo.test",
    "patient": "sam@demo.test",
    "admin": "admin@demo.test",
}
#: the admin's password reset, disable and enable act on this user (no one signs in as it)
SPARE_USER: Final = "spare@demo.test"
#: invitations: the invitation form invites demo-03 (no login: the e-mail is sent); the
#: invitation page is opened and accepted by demo-02, invited afresh for each request
#: (a link works once) at an address of its own (accepting makes or resets its login)
INVITED: Final = "demo-03"
ACCEPTING: Final = ("demo-02", "kim@demo.test")
GOOD_PASSWORD: Final = "lantern orbit pebble"
#: the second factor the pharmacist sets up: a fixed key, and its code at the clinic's clock
TOTP_SECRET: Final = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
TOTP_CODE: Final = pyotp.TOTP(TOTP_SECRET).at(NOW)
#: dates no date field may hold (outside 1900-2100, or no such day, or not ISO)
INVALID_DATES: Final = frozenset(d for d in ODD_DATES if d) - {"2026-11-22T10:00:00", "20261122"}
#: numbers no number field may hold (not finite, or not a number at all)
NOT_NUMBERS: Final = frozenset(
    {"NaN", "nan", "-NaN", "inf", "-inf", "Infinity", "-Infinity", "1e400", "9" * 400}
    | {"0x10", "1,5", "40mg"}
)
#: where a page says what went wrong: its alerts, and the pharmacist's "do not dispense"
ERROR_TEXT: Final = re.compile(
    r'<p[^>]*(?:role="alert"|class="verdict refused")[^>]*>(.*?)</p>', re.DOTALL
)


@dataclass(frozen=True)
class Field:
    """One form field: what it holds, a value the form accepts, and its name in words."""

    name: str
    kind: str  # "date", "number", "score" (0 to 3), "text", "choice", "items"
    valid: str
    words: tuple[str, ...]
    required: bool = True
    choices: tuple[str, ...] = ()
    max_length: int | None = None

    def definitely_invalid(self, value: str | None) -> bool:
        """Whether no form could accept ``value`` in this field (None: left out)."""
        text = (value or "").strip()
        if not text:
            return self.required
        if self.kind == "date":
            return text in INVALID_DATES
        if self.kind == "number":
            return text in NOT_NUMBERS
        if self.kind == "score":
            try:
                return not 0 <= int(text) <= 3
            except ValueError:
                return True
        if self.kind == "choice":
            return text not in self.choices
        if self.max_length is not None:
            return len(text) > self.max_length
        return False

    def odd_values(self) -> st.SearchStrategy[str]:
        typed = {"date": odd_date_text(), "number": odd_number_text()}.get(self.kind)
        return odd_text() if typed is None else st.one_of(typed, odd_text())


@dataclass(frozen=True)
class Form:
    """A page form: who posts it, where (a path template), and its fields."""

    name: str
    role: str
    path: str
    fields: tuple[Field, ...]
    #: the status a refused value gets (the rule check is a fragment htmx must show)
    refused: tuple[int, ...] = (422,)
    extra_words: tuple[str, ...] = field(default_factory=tuple)

    def valid(self) -> dict[str, str]:
        return {f.name: f.valid for f in self.fields}


def _words(name: str, label: str) -> tuple[str, ...]:
    """How an error names a field in words: its label (or its name, spaced)."""
    return (label.lower(), name.replace("_", " "))


_VALID_NUMBER: Final = {"value": "60", "mg": "20", "mg_per_day": "60", "global_score": "2"}
_VALID_TEXT: Final = {"unit": "U/L", "name": "ibuprofen 200 mg", "text": "dry lips"}
_TEXT_LIMITS: Final = {
    ("symptom", "text"): FREE_TEXT_MAX,
    ("medication", "name"): MEDICATION_NAME_MAX,
}


def _event_field(kind: str, form_field: FormField) -> Field:
    choices = tuple(value for value, _ in form_field.choices)
    parser = getattr(form_field.parse, "__name__", "")
    field_kind = {"_date": "date", "_number": "number", "_items": "items"}.get(
        parser, "choice" if choices else "text"
    )
    valid = {
        "date": DAY,
        "number": _VALID_NUMBER.get(form_field.name, "3"),
        "items": "0,0,0,0,0,0,0,0,0",
        "choice": "alt" if kind == "lab_result" else (choices[0] if choices else ""),
        "text": _VALID_TEXT.get(form_field.name, "x"),
    }[field_kind]
    if not form_field.required and field_kind == "date":
        valid = ""  # an open end
    return Field(
        form_field.name,
        field_kind,
        valid,
        _words(form_field.name, form_field.label),
        required=form_field.required,
        choices=choices,
        max_length=_TEXT_LIMITS.get((kind, form_field.name)),
    )


def _event_forms() -> list[Form]:
    forms = event_forms(load_knowledge(), TODAY)
    return [
        Form(
            f"event {form.kind}",
            "prescriber",
            f"/patients/{{patient}}/events/{form.kind}",
            tuple(_event_field(form.kind, f) for f in form.fields),
        )
        for form in forms
    ]


_ORDER: Final = (
    Field("mg_per_day", "number", "60", ("mg per day", "mg_per_day", "daily dose")),
    Field("days_supply", "number", "30", ("days supply", "days_supply", "days")),
)
_PHQ9: Final = tuple(Field(f"item{i}", "score", "0", ("answer every question",)) for i in range(9))
FORMS: Final = (
    *_event_forms(),
    Form("prescribe", "prescriber", "/patients/{patient}/prescribe", _ORDER, (409, 422)),
    Form("rule check", "prescriber", "/patients/{patient}/prescribe/check", _ORDER, (200,)),
    Form(
        "cancel",
        "prescriber",
        "/patients/{patient}/prescriptions/{prescription}/cancel",
        (Field("reason", "text", "written in error", ("reason",), max_length=500),),
        (409, 422),
    ),
    Form(
        "review",
        "prescriber",
        "/patients/{patient}/reviews",
        (
            Field("kind", "choice", "symptom", ("kind",), choices=("medication", "symptom")),
            Field("text", "text", "dry lips", ("text",), max_length=FREE_TEXT_MAX),
            Field(
                "outcome",
                "choice",
                "not_relevant",
                ("outcome",),
                choices=("not_relevant", "acted_on"),
            ),
        ),
    ),
    Form(
        "check-in",
        "patient",
        "/me/check-in",
        (
            Field("taken", "text", "no", ("taken",), required=False),
            Field(
                "missed",
                "choice",
                "both",
                ("missed", "dose"),
                choices=("morning", "evening", "both"),
            ),
        ),
        (409, 422),
    ),
    Form(
        "symptoms",
        "patient",
        "/me/symptoms",
        (
            Field(
                "text",
                "text",
                "dry lips",
                ("how you feel", "what you wrote"),
                max_length=FREE_TEXT_MAX,
            ),
        ),
    ),
    Form("mood", "patient", "/me/mood", _PHQ9),
    Form(
        "pharmacy",
        "pharmacist",
        "/pharmacy",
        (
            Field("prescription_id", "text", "{prescription}", ("prescription",)),
            Field(
                "birth_date", "date", "2004-11-01", ("date of birth", "birth date", "birth_date")
            ),
        ),
        (404, 422),
    ),
    Form(
        "dispense",
        "pharmacist",
        "/pharmacy/dispense",
        (
            Field("prescription_id", "text", "{prescription}", ("prescription",)),
            Field(
                "birth_date", "date", "2004-11-01", ("date of birth", "birth date", "birth_date")
            ),
        ),
        (404, 409, 422),
    ),
    Form(
        "planner",
        "prescriber",
        "/planner",
        (
            Field("weight", "text", "62kg", ("weight",)),
            Field(
                "product",
                "choice",
                "isotretinoin",
                ("product",),
                choices=tuple(sorted(load_knowledge().products.products)),
            ),
            Field("mg_per_kg", "number", "0.5", ("mg_per_kg", "mg/kg", "dose")),
            Field("target", "number", "120", ("target",), required=False),
        ),
    ),
    Form(
        "second factor",
        "pharmacist",
        "/account/second-factor",
        (
            Field("secret", "text", TOTP_SECRET, ("secret", "key")),
            Field("code", "text", TOTP_CODE, ("code",)),
        ),
    ),
    Form(
        "invitation",
        "prescriber",
        "/patients/{invited}/invitation",
        (Field("email", "text", "new@demo.test", ("e-mail", "email"), max_length=320),),
    ),
    Form(
        "choose a password",
        "anonymous",
        "/invitations/{invitation}",
        (
            Field("password", "text", GOOD_PASSWORD, ("password",), max_length=MAX_PASSWORD_LENGTH),
            Field(
                "password_again",
                "text",
                GOOD_PASSWORD,
                ("password",),  # "the two passwords differ"
                max_length=MAX_PASSWORD_LENGTH,
            ),
        ),
    ),
    Form(
        "password reset",
        "admin",
        "/admin/users/{user}/password",
        (Field("password", "text", GOOD_PASSWORD, ("password",), max_length=MAX_PASSWORD_LENGTH),),
    ),
    Form(
        "second factor setting",
        "admin",
        "/admin/second-factor",
        # "no" keeps it optional: "yes" would end the sessions of the fuzzing's prescriber
        (Field("required", "choice", "no", ("required",), choices=("yes", "no")),),
    ),
    Form(
        "login",
        "anonymous",
        "/login",
        (
            Field("email", "text", "nobody@demo.test", ("e-mail",)),
            Field("password", "text", "wrong password", ("password",)),
        ),
        (401, 422, 429),
        extra_words=("sign-ins",),  # locked for a while after many failures (429)
    ),
)


@dataclass
class Site:
    clinic: WebClinic
    browsers: dict[str, TestClient]
    patient: str  # the store id of demo-01, the patient who has a login
    prescription: str
    tokens: dict[str, str]  # role -> the CSRF token its pages carry (bound to its session)
    user: int = 0  # the spare user's id

    def post(self, form: Form, data: dict[str, str | None]) -> Any:
        browser = self.browsers[form.role]
        fields = {k: self.fill(v) for k, v in data.items() if v is not None}
        token = self.tokens[form.role]
        return browser.post(self.fill(form.path), data={**fields, "csrf_token": token})

    def fill(self, text: str) -> str:
        """The text with its placeholders filled (``{odd}`` is the caller's to fill)."""
        values = {
            "{patient}": lambda: self.patient,
            "{prescription}": lambda: self.prescription,
            "{user}": lambda: str(self.user),
            "{invited}": lambda: self.clinic.patient_ids[INVITED],
            "{invitation}": self.invitation,
            "{feed}": self.feed,
        }
        for placeholder, value in values.items():
            if placeholder in text:
                text = text.replace(placeholder, value())
        return text

    @property
    def system(self) -> ClinicSystem:
        system: ClinicSystem = self.clinic.app.state.wiring.system
        return system

    def prescriber(self) -> Call:
        with self.system.store.reading() as session:
            row = user_by_email(session, EMAIL["prescriber"])
            assert row is not None
            actor = actor_of(row)
        return Call(actor, "page-fuzz", TODAY, NOW)

    def invitation(self) -> str:
        """A new invitation's token (a link works once)."""
        patient, email = ACCEPTING
        invited = invite_patient(
            self.system, self.prescriber(), self.clinic.patient_ids[patient], email, hours=72
        )
        return invited.token

    def feed(self) -> str:
        """The path of demo-01's live calendar link (issued now if the fuzzing revoked it)."""
        secret = self.clinic.app.state.wiring.secret
        call = self.prescriber()
        path = current_feed_path(self.system, call, secret, self.patient)
        return path or issue_feed(self.system, call, secret, self.patient)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp_path: Path = tmp_path_factory.mktemp("page-fuzz")
    for mail, clinic in _clinic_with_mail(tmp_path):
        settings = clinic.app.state.wiring.settings  # invitations are e-mailed (no SMTP: a 503)
        settings.smtp_host, settings.smtp_port = "127.0.0.1", mail.port
        settings.smtp_from = "Demo clinic <reminders@demo.test>"
        spare = add_user(
            clinic.app.state.wiring.system.store,
            email=SPARE_USER,
            role="pharmacist",
            clinic_id="demo",
            password=PASSWORD,
            now=NOW,
        )
        with TestClient(clinic.app):  # runs the app's start-up and shut-down (closes the store)
            browsers, tokens = {}, {}
            for role in (*EMAIL, "anonymous"):
                browser = TestClient(clinic.app, follow_redirects=False)
                if role == "anonymous":
                    browser.get("/login")  # the CSRF cookie
                    tokens[role] = browser.cookies.get(CSRF_COOKIE, "")
                else:
                    assert log_in(browser, EMAIL[role]).status_code == 303
                    tokens[role] = csrf_of(browser.get("/login").text)
                browsers[role] = browser
            patient = clinic.patient_ids["demo-01"]
            found = Site(clinic, browsers, patient, "", tokens, spare.user_id)
            prescribe = Form("prescribe", "prescriber", "/patients/{patient}/prescribe", _ORDER)
            written = found.post(prescribe, {"mg_per_day": "60", "days_supply": "30"})
            assert written.status_code == 303, written.text
            found.prescription = written.headers["location"].split("issued=")[1]
            yield found


def _clinic_with_mail(tmp_path: Path) -> Iterator[tuple[SmtpServer, WebClinic]]:
    for mail in running_smtp_server():
        for clinic in web_clinic(tmp_path):
            yield mail, clinic


def error_text(page: str) -> str:
    """What the page says went wrong (its alert paragraphs), in plain text."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", m)) for m in ERROR_TEXT.findall(page))


@st.composite
def one_odd_field(draw: st.DrawFn, form: Form) -> tuple[dict[str, str | None], Field | None]:
    """The form's valid values with one field odd or left out (or an extra field)."""
    data: dict[str, str | None] = dict(form.valid())
    choice = draw(st.integers(0, len(form.fields)))
    if choice == len(form.fields):
        data[draw(st.text(min_size=1, max_size=20))] = draw(odd_text())
        return data, None
    changed = form.fields[choice]
    data[changed.name] = draw(st.none() | changed.odd_values())
    return data, changed


def check_answer(form: Form, changed: Field | None, value: str | None, response: Any) -> None:
    add_to_figure("requests fuzzed (Hypothesis, pages)")
    where = f"{form.name}: {changed.name if changed else '-'}={str(value)[:60]!r}"
    where += f" -> {response.status_code}"
    assert response.status_code < 500, where
    said = error_text(response.text).lower()
    if 400 <= response.status_code < 500:
        assert said.strip(), f"{where}: a refusal without an error message"
    if changed is None or not changed.definitely_invalid(value):
        return
    assert response.status_code in form.refused, f"{where}: an invalid value was accepted"
    words = (*changed.words, *form.extra_words)
    assert any(word in said for word in words), f"{where}: the error {said!r} names no {words}"


@pytest.mark.filterwarnings("ignore:Generating overly large repr")  # 900 KB of text
@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_a_form_refuses_an_odd_value_naming_the_field(site: Site, form: Form) -> None:
    @given(change=one_odd_field(form))
    @settings(
        max_examples=FORM_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    def posts(change: tuple[dict[str, str | None], Field | None]) -> None:
        data, changed = change
        response = site.post(form, data)
        check_answer(form, changed, data.get(changed.name) if changed else None, response)

    posts()


def _shape(path: str) -> str:
    """A path template with its parameters unnamed: ``/patients/{}/events/{}``, whether
    the route table, the policy or the lists here wrote it."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def test_every_page_form_is_fuzzed() -> None:
    """Each form-posting page route has a form here (every event kind included)."""
    kinds = {f.kind for f in event_forms(load_knowledge(), TODAY)}
    fuzzed = {_shape(f.path) for f in FORMS}
    assert {f"/patients/{{}}/events/{kind}" for kind in kinds} <= fuzzed
    assert "/admin/users/{}/password" in fuzzed  # the admin's other changes have no fields
    pages = {
        _shape(path)
        for (method, path), rule in POLICY.items()
        if method == "POST" and not path.startswith(("/api/", "/fhir", "/cds-services"))
    }
    not_forms = {
        "/logout",
        "/patients/{}/events/{}/entered-in-error",
        "/patients/{}/calendar-link",
        "/patients/{}/calendar-link/revoke",
        "/me/calendar-link",
    }
    generic = {"/patients/{}/events/{}", "/admin/users/{}/{}"}
    assert pages - not_forms - generic <= fuzzed, pages - not_forms - generic - fuzzed


# GETs: every page, its query parameters and path parameters generated

QUERY_NAMES: Final = (
    *("q", "tier", "as_of", "issued", "explain", "page", "next"),
    *("iss", "launch", "code", "state"),  # the SMART launch and its callback
)


def _page_paths(site: Site) -> list[tuple[str, str, str]]:
    """(role, method, path template) for the pages to fetch, and the posts without a
    form worth the name; ``{odd}`` is replaced by generated text."""
    gets = [
        ("anonymous", "/"),
        ("anonymous", "/login"),
        ("anonymous", "/openapi.json"),
        ("anonymous", "/docs"),
        ("anonymous", "/docs/oauth2-redirect"),
        ("anonymous", "/redoc"),
        ("anonymous", "/static/{odd}"),
        ("anonymous", "{feed}"),  # demo-01's live link
        ("anonymous", "/feeds/calendar/{patient}/{odd}.ics"),
        ("anonymous", "/feeds/calendar/{odd}/{odd}.ics"),
        ("prescriber", "/"),
        ("prescriber", "/worklist"),
        ("prescriber", "/patients/{patient}"),
        ("prescriber", "/patients/{odd}"),
        ("prescriber", "/patients/{patient}/charts/cumulative.png"),
        ("prescriber", "/patients/{patient}/charts/lab-{odd}.png"),
        ("prescriber", "/patients/{patient}/charts/lab-alt.png"),
        ("prescriber", "/patients/{patient}/report.pdf"),
        ("prescriber", "/patients/{patient}/calendar.ics"),
        ("prescriber", "/planner"),
        ("prescriber", "/smart/launch"),  # no EHR registered here: refused, never fetched
        ("prescriber", "/smart/callback"),
        ("prescriber", "/admin"),
        ("admin", "/admin"),
        ("prescriber", "/patients/{patient}/access"),
        ("prescriber", "/patients/{odd}/access"),
        ("pharmacist", "/account/second-factor"),
        ("admin", "/account/second-factor"),
        ("patient", "/account/second-factor"),
        ("anonymous", "/invitations/{invitation}"),
        ("anonymous", "/invitations/{odd}"),
        ("pharmacist", "/pharmacy"),
        ("patient", "/me"),
        ("patient", "/me/guide"),
        ("patient", "/patients/{patient}"),
    ]
    posts = [
        ("prescriber", "/patients/{patient}/events/{odd}/entered-in-error"),
        ("prescriber", "/patients/{patient}/events/{odd}"),
        ("prescriber", "/patients/{odd}/reviews"),
        ("prescriber", "/patients/{patient}/prescriptions/{odd}/cancel"),
        ("anonymous", "/logout"),
        ("prescriber", "/patients/{patient}/calendar-link"),
        ("prescriber", "/patients/{patient}/calendar-link/revoke"),
        ("prescriber", "/patients/{odd}/calendar-link"),
        ("patient", "/me/calendar-link"),
        ("admin", "/admin/users/{user}/disable"),
        ("admin", "/admin/users/{user}/enable"),
        ("admin", "/admin/users/{user}/second-factor-reset"),
        ("admin", "/admin/users/{user}/{odd}"),
        ("admin", "/admin/users/{odd}/disable"),
    ]
    return [(role, "GET", path) for role, path in gets] + [
        (role, "POST", path) for role, path in posts
    ]


def _path_text() -> st.SearchStrategy[str]:
    """A path segment, percent-encoded (the server decodes it: control characters, unicode,
    slashes and dots all arrive)."""
    raw = st.one_of(
        st.sampled_from(["..", "a/b", "%00", "x" * 300, "\u00e9", "-", "0", "\n"]),
        odd_text(huge=False).filter(bool),
    )
    return raw.map(lambda text: quote(text[:500], safe=""))  # a URL has a length limit


@given(data=st.data())
@settings(
    max_examples=PAGE_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_every_page_answers_generated_query_and_path_parameters(site: Site, data: Any) -> None:
    role, method, template = data.draw(st.sampled_from(_page_paths(site)))
    path = site.fill(template)
    while "{odd}" in path:
        path = path.replace("{odd}", data.draw(_path_text()), 1)
    query = data.draw(
        st.dictionaries(
            st.sampled_from(QUERY_NAMES) | st.text(max_size=8),
            st.one_of(
                odd_text(huge=False).map(lambda text: text[:2000]),  # a URL's length limit
                st.sampled_from(("stop", "block", "clear", DAY)),
            ),
            max_size=3,
        )
    )
    browser = site.browsers[role]
    if method == "GET":
        response = browser.get(path, params=query)
    else:
        form = {**query, "csrf_token": site.tokens[role]}
        response = browser.post(path, data=form)
    add_to_figure("requests fuzzed (Hypothesis, pages)")
    where = f"{role} {method} {path} {query} -> {response.status_code}"
    assert response.status_code < 500, where


def test_every_page_route_is_fetched_or_posted(site: Site) -> None:
    """A new page cannot escape: every route left out of the schema is in one of the
    lists above (GETs by their template; POSTs posted as a form or without one)."""
    served: set[tuple[str, str]] = set()
    for context in iter_route_contexts(site.clinic.app.routes):
        if getattr(context, "include_in_schema", False):
            continue
        for method in (context.methods or {"GET"}) - {"HEAD"}:
            served.add((method, context.path or ""))
    gets = {
        "/", "/login", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/static",
        "/feeds/calendar/{patient_id}/{token}.ics", "/worklist", "/patients/{patient_id}",
        "/patients/{patient_id}/charts/cumulative.png",
        "/patients/{patient_id}/charts/lab-{test}.png", "/patients/{patient_id}/report.pdf",
        "/patients/{patient_id}/calendar.ics", "/planner", "/admin", "/pharmacy", "/me",
        "/me/guide", "/patients/{patient_id}/access", "/account/second-factor",
        "/invitations/{token}", "/smart/launch", "/smart/callback",
    }  # fmt: skip
    fetched = {(method, _shape(template)) for _, method, template in _page_paths(site)}
    posted = {_shape(f.path) for f in FORMS} | {path for m, path in fetched if m == "POST"}
    missing = {
        (m, p) for m, p in served if (p not in gets if m == "GET" else _shape(p) not in posted)
    }
    assert missing == set()
