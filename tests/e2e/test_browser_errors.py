"""In the browser: an htmx form's refusal shows in the form's error area, naming the
field in words (htmx swaps no 4xx answer unless told to; the pages tell it to swap a
422 with htmx's documented ``responseHandling`` setting, in base.html).

Uses the shared live server and Chromium (tests/e2e/conftest.py; skipped where Chromium
is not installed, failed in CI).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser_support import LiveClinic, log_in, require_chromium

require_chromium()
pytestmark = pytest.mark.slow  # drives Chromium against a live server


@pytest.fixture
def page(chromium: Browser, web_server: LiveClinic) -> Iterator[Page]:
    context = chromium.new_context(
        base_url=web_server.base_url, viewport={"width": 1200, "height": 900}
    )
    opened = context.new_page()
    opened.set_default_timeout(30000)
    yield opened
    context.close()


def test_the_planner_says_a_weight_of_sixty_is_not_a_weight(page: Page) -> None:
    log_in(page, "doc@demo.test")
    page.goto("/planner")
    page.get_by_label("Body weight").fill("sixty")
    page.get_by_label("Target dose").fill("0.5")
    with page.expect_response("**/planner") as answer:
        page.get_by_role("button", name="Plan").click()
    assert answer.value.status == 422
    error = page.locator("#plan [role=alert]")
    expect(error).to_have_text("Body weight: enter a weight with its unit, e.g. 62kg or 136lb")
    # in place: the form keeps what was typed, and the page did not navigate away
    expect(page.get_by_label("Body weight")).to_have_value("sixty")
    page.get_by_label("Body weight").fill("62kg")
    page.get_by_role("button", name="Plan").click()
    expect(page.locator("#plan h2")).to_contain_text("mg a day")
    expect(error).to_have_count(0)
