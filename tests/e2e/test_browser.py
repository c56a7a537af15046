"""Browser journeys: Playwright driving Debian's Chromium, headless, against a live server.

Each journey is one of issue 5's. Each page visited is saved as a PNG in a temporary folder
(a look at it when a journey fails); ``scripts/screenshots`` makes docs/screenshots/.
CI installs Chromium (``.ci/run``); without it these tests skip locally, and fail in CI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser_support import LiveClinic, log_in, log_out, require_chromium

pytestmark = pytest.mark.slow  # drives Chromium against a live server

require_chromium()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def page(chromium: Browser, web_server: LiveClinic, screenshots: Path) -> Iterator[Page]:
    context = chromium.new_context(
        base_url=web_server.base_url, viewport={"width": 1200, "height": 900}
    )
    opened = context.new_page()
    opened.set_default_timeout(30000)
    _SHOTS[id(opened)] = screenshots
    yield opened
    del _SHOTS[id(opened)]
    context.close()


_SHOTS: dict[int, Path] = {}  # each open page's screenshot folder (a temporary one)


def shoot(page: Page, name: str) -> None:
    page.screenshot(path=str(_SHOTS[id(page)] / f"{name}.png"), full_page=True)


def test_a_prescriber_opens_the_most_urgent_patient_and_a_lab_result_changes_the_alerts(
    page: Page,
) -> None:
    page.goto("/login")
    shoot(page, "login")
    log_in(page, "doc@demo.test")
    page.wait_for_url("**/worklist")
    shoot(page, "worklist")
    first_row = page.locator("#worklist tbody tr").first
    assert "stop" in first_row.inner_text()
    first_row.get_by_role("link").click()
    page.wait_for_url(re.compile(r".*/patients/[0-9a-f-]{36}$"))
    assert page.locator("#alerts .sev-stop").count() >= 1
    shoot(page, "patient")
    assert page.locator("#alert-LAB_ALT_HIGH").count() == 0
    page.locator("summary", has_text="Lab result").click()  # the timeline names it too
    page.locator("#lab_result-test").select_option("alt")
    page.locator("#lab_result-value").fill("250")
    page.locator("#lab_result-unit").fill("U/L")
    page.locator("#lab_result-reference_high").fill("40")
    page.get_by_role("button", name="Record lab result").click()
    page.locator("#alert-LAB_ALT_HIGH").wait_for()
    assert page.locator("#alert-LAB_LIVER_SEVERE").count() == 1


def test_a_blocked_prescription_is_refused_with_its_reasons(page: Page) -> None:
    log_in(page, "doc@demo.test")
    page.get_by_role("link", name="demo-04").click()
    page.get_by_label("Daily dose").fill("60")
    page.get_by_label("Days of supply").fill("30")  # the form starts empty
    page.get_by_role("button", name="Check the rules").click()
    page.locator("#rule-check .refused").wait_for()
    assert "MOOD_SUICIDAL_IDEATION" in page.locator("#rule-check").inner_text()
    shoot(page, "prescribe-check")
    page.get_by_role("button", name="Prescribe", exact=True).click()
    page.get_by_text("Prescription refused").wait_for()


def test_a_pharmacist_verifies_and_dispenses(page: Page) -> None:
    log_in(page, "doc@demo.test")
    page.get_by_role("link", name="demo-01").click()
    page.get_by_label("Daily dose").fill("60")
    page.get_by_label("Days of supply").fill("30")  # the form starts empty
    page.get_by_role("button", name="Prescribe", exact=True).click()
    flash = page.locator("#issued").inner_text()
    prescription_id = re.search(r"[0-9a-f-]{36}", flash)
    assert prescription_id
    log_out(page)
    log_in(page, "pharm@demo.test")
    page.wait_for_url("**/pharmacy")
    page.get_by_label("Prescription id").fill(prescription_id.group(0))
    page.get_by_label("Patient's date of birth").fill("2004-11-01")
    page.get_by_role("button", name="Verify").click()
    page.get_by_text("ALLOWED: may be dispensed today").wait_for()
    shoot(page, "pharmacy")
    page.get_by_role("button", name="Record the dispense").click()
    page.get_by_text("Dispense recorded").wait_for()


def test_a_patient_checks_in_and_a_red_flag_tops_the_worklist(page: Page) -> None:
    log_in(page, "sam@demo.test")
    page.wait_for_url("**/me")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "patient-today")
    page.get_by_role("button", name="I took my dose").click()
    page.get_by_text("today's dose is checked in").wait_for()
    page.get_by_label("Tell us in your own words").fill("really bad headache and blurry vision")
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator("#red-flag").wait_for()
    assert "Call your clinic now" in page.locator("#red-flag").inner_text()
    shoot(page, "patient-red-flag")
    page.set_viewport_size({"width": 1200, "height": 900})
    log_out(page)
    log_in(page, "doc@demo.test")
    first_row = page.locator("#worklist tbody tr").first
    assert "demo-01" in first_row.inner_text()
    assert "Possible intracranial hypertension" in first_row.inner_text()


def test_the_capsule_planner_answers_in_place(page: Page) -> None:
    log_in(page, "doc@demo.test")
    page.goto("/planner")
    page.get_by_label("Body weight").fill("62kg")
    page.get_by_label("Product").select_option("absorica")
    page.get_by_label("Target dose").fill("0.5")
    page.get_by_role("button", name="Plan").click()
    page.get_by_text("30 mg a day").wait_for()
    shoot(page, "planner")


def test_a_patient_reads_the_guide_with_its_sources(page: Page) -> None:
    log_in(page, "sam@demo.test")
    page.get_by_role("link", name="About your medicine").click()
    page.get_by_role("heading", name="Sources").wait_for()
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "patient-guide")
