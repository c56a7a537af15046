"""Every door refuses the record's invalid values and names the field: a number that is
not finite, a dose above 400 mg or a supply over 90 days, a date outside 1900-2100, a
patient id that is empty, too long or holds a line break, a medication name or symptom
text over its length. The API answers 422 with ``error.field``; the pages show a form
error naming the field in words; ``isocourse evaluate`` exits 2 naming it; the lab CSV
import rejects the row by line and field; the FHIR Bundle import reports the entry.

The issue's cases are here as a user meets them: a patient logging ``mg_per_day: 1e300``,
NaN in a prescription, ``as_of=9999-12-31``, a patient id with a line break (and a feed
that always parses), a 900 KB symptom text that is never stored.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from typer.testing import CliRunner

from isocourse.cli import app
from isocourse.knowledge.loader import load_knowledge
from isocourse.service.context import ClinicSystem
from isocourse.service.lab_csv import import_lab_csv
from isocourse.settings import Settings
from isocourse.store.database import Store, open_store
from tests.builders import record_json
from tests.clinic_support import (
    ALLOWED_DEMO,
    PASSWORD,
    TODAY,
    Clinic,
    demo,
    fresh_database,
    running_clinic,
)
from tests.fuzz_values import HUGE_TEXT
from tests.interop_support import PRESCRIBER, call_as, event_count, seed
from tests.web_support import WebClinic, log_in, post_form, web_clinic

API = "/api/v1"
DAY = TODAY.isoformat()
runner = CliRunner()


# The API: 422 with error.field


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clinic]:
    """One clinic for the module (signing users in is slow); each test enrols its own."""
    tmp_path = tmp_path_factory.mktemp("doors-api")
    yield from running_clinic(fresh_database("sqlite", tmp_path), tmp_path)


def enrolled_with_patient_login(clinic: Clinic) -> tuple[str, str]:
    """A new patient and the name of its patient login."""
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    user = f"pat_{len(clinic.headers)}"
    clinic.add(user, "patient", "a", patient_id=patient_id)
    return patient_id, user


def post_event(clinic: Clinic, patient_id: str, user: str, kind: str, entry: Any) -> Any:
    return clinic.client.post(
        f"{API}/patients/{patient_id}/events",
        json={"kind": kind, "entry": entry},
        headers=clinic.as_user(user),
    )


def refused_naming(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field, response.text


def test_a_patient_logging_1e300_mg_is_refused_and_cannot_post_dose_periods(
    clinic: Clinic,
) -> None:
    patient, login = enrolled_with_patient_login(clinic)
    for mg in (1e300, 40):  # the dose is the prescriber's to set, absurd or not
        period = {"start": DAY, "mg_per_day": mg}
        assert post_event(clinic, patient, login, "dose_period", period).status_code == 403
    missed = post_event(clinic, patient, login, "missed_dose", {"date": DAY, "mg": 1e300})
    refused_naming(missed, "entry.mg")
    by_doctor = post_event(
        clinic, patient, "doc_a", "dose_period", {"start": DAY, "mg_per_day": 1e300}
    )
    refused_naming(by_doctor, "entry.mg_per_day")
    events = clinic.client.get(f"{API}/patients/{patient}/events", headers=clinic.as_user("doc_a"))
    assert "1e+300" not in events.text and "1e300" not in events.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"days_supply": 30, "mg_per_day": NaN}', "mg_per_day"),
        (b'{"days_supply": 30, "mg_per_day": Infinity}', "mg_per_day"),
        (b'{"days_supply": 30, "mg_per_day": 1e300}', "mg_per_day"),
        (b'{"days_supply": 91, "mg_per_day": 60}', "days_supply"),
        (b'{"days_supply": 0, "mg_per_day": 60}', "days_supply"),
        (b'{"days_supply": 30.5, "mg_per_day": 60}', "days_supply"),
    ],
)
def test_nan_or_an_absurd_amount_in_a_prescription_is_a_422_naming_it(
    clinic: Clinic, body: bytes, field: str
) -> None:
    patient = clinic.enrol(demo(ALLOWED_DEMO))
    headers = clinic.as_user("doc_a", **{"Content-Type": "application/json"})
    response = clinic.client.post(
        f"{API}/patients/{patient}/prescriptions", content=body, headers=headers
    )
    refused_naming(response, field)
    assert "NaN" not in response.text  # the input is not echoed


def test_a_day_outside_the_calendar_is_a_422_naming_the_parameter(clinic: Clinic) -> None:
    patient = clinic.enrol(demo(ALLOWED_DEMO))
    doctor = clinic.as_user("doc_a")
    for path in ("record", "assessment", "report.pdf"):
        for day in ("9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01"):
            answer = clinic.client.get(
                f"{API}/patients/{patient}/{path}", params={"as_of": day}, headers=doctor
            )
            refused_naming(answer, "as_of")
    written = clinic.client.post(
        f"{API}/patients/{patient}/prescriptions",
        json={"days_supply": 30, "mg_per_day": 60},
        headers=doctor,
    ).json()["prescription_id"]
    pharmacist = clinic.as_user("pharm_a")
    verification = clinic.client.get(
        f"{API}/prescriptions/{written}/verification",
        params={"birth_date": "9999-12-31"},
        headers=pharmacist,
    )
    refused_naming(verification, "birth_date")
    dispense = clinic.client.post(
        f"{API}/prescriptions/{written}/dispenses",
        json={"birth_date": "0001-01-01"},
        headers=pharmacist,
    )
    refused_naming(dispense, "birth_date")


@pytest.mark.parametrize(
    "patient_id",
    ["p-1\nBEGIN:VEVENT", "p-1\r\nX-Injected: yes", "p\x00", "p\x1b[31m", "", "   ", "x" * 65],
)
def test_an_odd_patient_id_is_refused_at_enrolment(clinic: Clinic, patient_id: str) -> None:
    document = demo(ALLOWED_DEMO)
    document["patient"]["id"] = patient_id
    answer = clinic.client.post(f"{API}/patients", json=document, headers=clinic.as_user("doc_a"))
    refused_naming(answer, "patient.id")
    assert "BEGIN:VEVENT" not in answer.text


def test_a_line_break_cannot_reach_a_stored_record_and_the_feed_always_parses(
    clinic: Clinic,
) -> None:
    document = demo(ALLOWED_DEMO)
    document["patient"]["id"] = "Zoë; O'Brien, \\ #1 — 🙂" + "x" * 30  # odd but allowed
    patient = clinic.enrol(document)
    details = {**document["patient"], "id": "p-1\nBEGIN:VEVENT"}
    refused_naming(post_event(clinic, patient, "doc_a", "patient_details", details), "entry.id")
    symptom = {"date": DAY, "text": "line one\nBEGIN:VEVENT\r\nEND:VCALENDAR"}
    assert post_event(clinic, patient, "doc_a", "symptom", symptom).status_code == 201
    doctor = clinic.as_user("doc_a")
    api_feed = clinic.client.get(f"{API}/patients/{patient}/calendar.ics", headers=doctor)
    link_feed = clinic.client.get(issued_calendar_link(clinic, patient))
    for feed in (api_feed, link_feed):
        assert feed.status_code == 200, feed.text
        calendar = Calendar.from_ical(feed.content)
        events = list(calendar.walk("VEVENT"))
        assert events and all(event.get("dtstart") for event in events)
        assert all(len(line) <= 75 for line in feed.content.split(b"\r\n"))
        assert b"BEGIN:VEVENT\\" not in feed.content


def issued_calendar_link(clinic: Clinic, patient: str) -> str:
    """The path of the patient's calendar link, as the prescriber issues it on the
    patient's access page (a link is issued per patient, none until then)."""
    browser = TestClient(clinic.app)  # the pages' session cookie, apart from the API client
    page = post_form(
        browser, "/login", browser.get("/login").text, email="doc_a@a.test", password=PASSWORD
    )
    assert page.url.path == "/worklist", page.text
    access = browser.get(f"/patients/{patient}/access")
    issued = post_form(browser, f"/patients/{patient}/calendar-link", access.text)
    link = re.search(r'id="calendar-link">http://testserver(/feeds/calendar/[^<]+)<', issued.text)
    assert link, issued.text
    return html.unescape(link.group(1))


def test_a_900_kb_symptom_text_is_refused_and_never_stored(clinic: Clinic) -> None:
    patient, login = enrolled_with_patient_login(clinic)
    doctor = clinic.as_user("doc_a")
    before = clinic.client.get(f"{API}/patients/{patient}/events", headers=doctor).json()
    for user in (login, "doc_a"):
        answer = post_event(clinic, patient, user, "symptom", {"date": DAY, "text": HUGE_TEXT})
        refused_naming(answer, "entry.text")
        assert len(answer.content) < 1_000  # not echoed either
    after = clinic.client.get(f"{API}/patients/{patient}/events", headers=doctor)
    assert after.json() == before and len(after.content) < 100_000


def test_a_medication_name_over_200_characters_is_refused(clinic: Clinic) -> None:
    patient = clinic.enrol(demo(ALLOWED_DEMO))
    entry = {"name": "m" * 201, "start": DAY}
    refused_naming(post_event(clinic, patient, "doc_a", "medication", entry), "entry.name")


def test_an_enrolled_record_with_overlapping_dose_periods_is_refused_naming_both(
    clinic: Clinic,
) -> None:
    document = demo(ALLOWED_DEMO)
    document["doses"] = [
        {"start": "2026-01-14", "end": "2026-02-20", "mg_per_day": 40},
        {"start": "2026-02-13", "end": None, "mg_per_day": 60},
    ]
    answer = clinic.client.post(f"{API}/patients", json=document, headers=clinic.as_user("doc_a"))
    refused_naming(answer, "doses[1]")
    assert "doses[0]" in answer.json()["error"]["message"]


def test_a_dose_period_from_year_9999_names_its_own_start(clinic: Clinic) -> None:
    """A new period ends the open one the day before it starts, unless its start is
    itself invalid: then the start is named (not the open period's end, 9999-12-30)."""
    patient = clinic.enrol(demo(ALLOWED_DEMO))
    entry = {"start": "9999-12-31", "mg_per_day": 40}
    refused_naming(post_event(clinic, patient, "doc_a", "dose_period", entry), "entry.start")


# The FHIR Bundle import: the entry named


def observation(day: str, value: Any = 31) -> dict[str, Any]:
    return {
        "resource": {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "1742-6"}]},
            "effectiveDateTime": day,
            "valueQuantity": {"value": value, "unit": "U/L", "code": "U/L"},
        }
    }


def test_a_fhir_entry_with_an_invalid_value_is_reported_by_its_index(clinic: Clinic) -> None:
    patient = clinic.enrol(demo(ALLOWED_DEMO))
    entries = [
        observation("2026-03-12"),
        observation("0001-01-01"),
        observation("9999-12-31"),
        observation("2026-03-12", "NaN"),
    ]
    body = json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})
    body = body.replace('"NaN"', "NaN")  # a careless exporter's JSON
    answer = clinic.client.post(
        f"{API}/patients/{patient}/fhir-import",
        content=body,
        headers=clinic.as_user("doc_a", **{"Content-Type": "application/json"}),
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["imported"]["lab_result"] == 1
    reasons = {item["index"]: item["reason"] for item in result["unmapped"]}
    assert set(reasons) == {1, 2, 3}
    assert "effective date 0001-01-01 is outside" in reasons[1]
    assert "effective date 9999-12-31 is outside" in reasons[2]
    assert "valueQuantity.value" in reasons[3]


# The lab CSV import: the row named by line and field


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("ISOCOURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ISOCOURSE_DATABASE_URL", fresh_database("sqlite", tmp_path))
    opened = open_store(Settings())
    yield opened
    opened.close()


CSV_HEADER = "patient,date,test,value,unit,reference_low,reference_high\n"


def test_a_csv_row_with_an_invalid_value_is_rejected_by_line_and_field(
    store: Store, tmp_path: Path
) -> None:
    seed(store, [demo(ALLOWED_DEMO)])
    rows = [
        "demo-01,2026-03-12,alt,31,U/L,,45",  # line 2: fine
        "demo-01,0001-01-01,alt,31,U/L,,45",
        "demo-01,9999-12-31,alt,31,U/L,,45",
        "demo-01,2026-03-12,alt,NaN,U/L,,45",
        "demo-01,2026-03-12,alt,inf,U/L,,45",
        "demo-01,2026-03-12,alt,1e400,U/L,,45",
        "demo-01,2026-03-12,alt,31,U/L,,Infinity",
    ]
    system = ClinicSystem(store, load_knowledge())
    outcome = import_lab_csv(
        system, call_as(store, PRESCRIBER), [CSV_HEADER, *(r + "\n" for r in rows)]
    )
    reasons = {row.line: row.reason for row in outcome.rejected}
    assert outcome.written == 0 and set(reasons) == {3, 4, 5, 6, 7, 8}
    assert reasons[3].startswith("date 0001-01-01 is outside 1900-01-01 to 2100-12-31")
    assert reasons[4].startswith("date 9999-12-31 is outside")
    for line in (5, 6):
        assert reasons[line].startswith("non-numeric value"), reasons[line]
    assert reasons[7] == "value 1e400 is out of range (a lab value is 0 or more)"
    assert reasons[8].startswith("non-numeric reference_high")

    csv = tmp_path / "labs.csv"
    csv.write_text(CSV_HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    before = event_count(store)
    result = runner.invoke(
        app, ["import-labs", str(csv), "--as", PRESCRIBER], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 2, result.output
    assert re.search(r"\b3\b\D+date 0001-01-01 is outside", result.output), result.output
    assert "nothing was written" in result.output and event_count(store) == before


# isocourse evaluate: exit 2 naming the field


def as_text(**changes: Any) -> str:
    return json.dumps(record_json(**changes))


NOT_FINITE = {
    "weights[0].value": as_text().replace('"value": 62', '"value": NaN'),
    "doses[0].mg_per_day": as_text().replace('"mg_per_day": 40', '"mg_per_day": Infinity'),
}
INVALID = {
    "doses[0].mg_per_day": {"doses": [{"start": "2026-01-15", "mg_per_day": 1e300}]},
    "missed_doses[0].mg": {"missed_doses": [{"date": "2026-02-01", "mg": 0}]},
    "prescriptions[0].days_supply": {"prescriptions": [{"date": "2026-02-14", "days_supply": 91}]},
    "as_of": {"as_of": "9999-12-31"},
    "patient.birth_date": {"patient.birth_date": "1899-12-31"},
    "patient.id": {"patient.id": "p\nX"},
    "medications[0].name": {"medications": [{"name": "m" * 201, "start": "2026-01-01"}]},
    "symptoms[0].text": {"symptoms": [{"date": "2026-03-01", "text": "s" * 2001}]},
    "doses[1]": {
        "doses": [
            {"start": "2026-01-15", "end": "2026-02-20", "mg_per_day": 40},
            {"start": "2026-02-15", "mg_per_day": 60},
        ]
    },
}


@pytest.mark.parametrize(
    ("text", "field"),
    [
        *((text, field) for field, text in NOT_FINITE.items()),
        *((as_text(**changes), field) for field, changes in INVALID.items()),
        (as_text(**{"patient.id": "x" * 65}), "patient.id"),
    ],
)
def test_evaluate_exits_2_naming_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "record.json"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert field in result.output, result.output


# The pages: a form error naming the field in words


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebClinic]:
    yield from web_clinic(tmp_path_factory.mktemp("doors-pages"))


def alert_of(page: str) -> str:
    found = re.findall(r'<p[^>]*role="alert"[^>]*>(.*?)</p>', page, re.DOTALL)
    return " ".join(found)


def test_the_course_page_refuses_invalid_values_naming_the_field_in_words(
    site: WebClinic,
) -> None:
    patient = site.patient_ids["demo-01"]
    day = "2026-11-22"
    cases = [
        ("dose_period", {"start": day, "mg_per_day": "1e300"}, "mg per day: must be above 0"),
        ("dose_period", {"start": day, "mg_per_day": "NaN"}, "mg per day: must be a finite"),
        ("dose_period", {"start": "9999-12-31", "mg_per_day": "40"}, "From: 9999-12-31 is outside"),
        ("missed_dose", {"date": day, "mg": "inf"}, "mg missed: must be a finite"),
        (
            "weight",
            {"date": "0001-01-01", "value": "62", "unit": "kg"},
            "Date: 0001-01-01 is outside",
        ),
        ("medication", {"name": "m" * 201, "start": day}, "Name: at most 200 characters"),
        ("symptom", {"date": day, "text": "s" * 2001}, "What the patient describes: at most 2,000"),
        ("lab_result", {"date": day, "test": "alt", "value": "1e400", "unit": "U/L"}, "Value:"),
    ]
    with site.browser() as browser:
        log_in(browser, "doc@demo.test")
        page = browser.get(f"/patients/{patient}")
        for kind, form, words in cases:
            answer = post_form(browser, f"/patients/{patient}/events/{kind}", page.text, **form)
            assert answer.status_code == 422, (kind, form, answer.status_code)
            assert words in alert_of(answer.text), (kind, alert_of(answer.text))
        for mg in ("NaN", "inf", "1e300", "0"):
            answer = post_form(
                browser,
                f"/patients/{patient}/prescribe",
                page.text,
                mg_per_day=mg,
                days_supply="30",
            )
            assert answer.status_code == 422, (mg, answer.status_code)  # not 409, nor 500
            assert "mg_per_day: a daily dose in mg" in alert_of(answer.text)
        check = post_form(
            browser,
            f"/patients/{patient}/prescribe/check",
            page.text,
            mg_per_day="60",
            days_supply="91",
        )
        assert "days_supply: a whole number of days" in check.text


def test_a_cancellation_reason_of_900_kb_is_refused(site: WebClinic) -> None:
    patient = site.patient_ids["demo-01"]
    with site.browser() as browser:
        log_in(browser, "doc@demo.test")
        page = browser.get(f"/patients/{patient}")
        issued = post_form(
            browser, f"/patients/{patient}/prescribe", page.text, mg_per_day="60", days_supply="30"
        )
        prescription = issued.url.params.get("issued")
        assert prescription, issued.text
        url = f"/patients/{patient}/prescriptions/{prescription}/cancel"
        answer = post_form(browser, url, page.text, reason=HUGE_TEXT)
        assert answer.status_code == 422
        assert "reason: at most 500 characters" in alert_of(answer.text)
        cancelled = post_form(browser, url, page.text, reason="written in error")
        assert cancelled.status_code == 200, alert_of(cancelled.text)  # it was still open
        assert "z" * 600 not in cancelled.text


def test_the_patients_own_forms_refuse_invalid_values_and_store_nothing(
    site: WebClinic,
) -> None:
    with TestClient(site.app) as keeper:  # the app's start-up, for the event count below
        del keeper
        store = site.app.state.wiring.system.store
        before = event_count(store)
        with site.browser() as browser:
            page = log_in(browser, "sam@demo.test")
            symptom = post_form(browser, "/me/symptoms", page.text, text=HUGE_TEXT)
            assert symptom.status_code == 422
            assert "What you wrote: at most 2,000 characters" in alert_of(symptom.text)
            answers = {f"item{i}": "0" for i in range(9)}
            for odd in ("7", "-1", "NaN", "1e300", ""):
                mood = post_form(browser, "/me/mood", page.text, **{**answers, "item8": odd})
                assert mood.status_code == 422, odd
                assert "Answer every question" in alert_of(mood.text)
        assert event_count(store) == before


def test_the_planner_refuses_a_target_it_cannot_count_to(site: WebClinic) -> None:
    with site.browser() as browser:
        log_in(browser, "doc@demo.test")
        page = browser.get("/planner")
        for target in ("NaN", "inf", "1e306", "-1", "0x10"):
            answer = post_form(
                browser,
                "/planner",
                page.text,
                weight="300kg",
                product="isotretinoin",
                mg_per_kg="0.5",
                target=target,
            )
            assert answer.status_code == 422, (target, answer.status_code)
            assert "target: a cumulative target" in alert_of(answer.text)
        odd_dose = post_form(
            browser, "/planner", page.text, weight="62kg", product="isotretinoin", mg_per_kg="0x10"
        )
        assert "mg_per_kg: a dose above 0" in alert_of(odd_dose.text)


def test_a_calendar_link_with_any_token_is_answered_not_found(site: WebClinic) -> None:
    patient = site.patient_ids["demo-01"]
    with site.browser() as phone:
        for token in ("%C3%A9", "%00", "%F0%9F%99%82" * 8, "x" * 500):
            answer = phone.get(f"/feeds/calendar/{patient}/{token}.ics")
            assert answer.status_code == 404, (token, answer.status_code)


@pytest.mark.parametrize("target", ["nan", "inf", "1e306"])
def test_plan_refuses_a_target_it_cannot_count_to(target: str) -> None:
    args = ["--weight", "300kg", "--mg-per-kg", "0.5", "--product", "isotretinoin"]
    result = runner.invoke(app, ["plan", *args, "--target", target], env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert "--target" in result.output
