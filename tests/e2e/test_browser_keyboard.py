"""A prescriber's journey with the keyboard alone, in Chromium: sign in, open a patient,
check the rules, prescribe. Only Tab, Enter and typing; at every stop the focus must be
visible: in view, and ringed by an outline or shadow of at least 3:1 contrast against what
is behind the element (WCAG 2.2, 1.4.11 and 2.4.7)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from isocourse.auth.users import actor_of
from isocourse.service.context import Call
from isocourse.service.views import read_record
from isocourse.store.tables import UserRow
from tests.browser_support import LiveClinic, require_chromium
from tests.web_support import NOW, PASSWORD, TODAY

require_chromium()
pytestmark = pytest.mark.slow  # drives Chromium against a live server

#: The focused element, and whether its focus can be seen: in view, with a ring (an outline
#: or a box shadow) of at least 2 px whose colour has 3:1 contrast with the background the
#: element sits on.
FOCUS = """() => {
  const element = document.activeElement;
  const rgb = text => (text.match(/rgba?\\(([^)]+)\\)/) || [null, '0,0,0,0'])[1]
    .split(',').map(Number);
  const luminance = ([r, g, b]) => [r, g, b].map(c => c / 255)
    .map(c => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
    .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const contrast = (a, b) => {
    const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (light + 0.05) / (dark + 0.05);
  };
  let behind = element.parentElement;
  while (behind && rgb(getComputedStyle(behind).backgroundColor)[3] === 0) {
    behind = behind.parentElement;
  }
  const background = behind ? rgb(getComputedStyle(behind).backgroundColor) : [255, 255, 255];
  const style = getComputedStyle(element);
  const rings = [];
  if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) {
    rings.push(rgb(style.outlineColor));
  }
  if (style.boxShadow !== 'none') rings.push(rgb(style.boxShadow));
  const best = Math.max(0, ...rings.map(ring => contrast(ring, background)));
  const box = element.getBoundingClientRect();
  const inView = box.width > 0 && box.bottom > 0 && box.top < innerHeight
    && box.right > 0 && box.left < innerWidth;
  const text = (element.innerText || element.value || element.name || '').trim().slice(0, 40);
  return {
    what: `<${element.tagName.toLowerCase()}> "${text}"`,
    contrast: Math.round(best * 10) / 10,
    inView: inView,
  };
}"""


def tab_to(page: Page, selector: str, *, text: str = "", limit: int = 120) -> None:
    """Press Tab until the element ``selector`` (with ``text``, if given) has the focus;
    at every stop on the way the focus must be visible."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        where = f"{focus['what']} on {page.url}"
        assert focus["inView"], f"the focused {where} is out of view"
        assert focus["contrast"] >= 3, f"the focus ring of {where} is faint: {focus['contrast']}:1"
        found = page.evaluate(
            "([selector, text]) => document.activeElement.matches(selector)"
            " && document.activeElement.textContent.includes(text)",
            [selector, text],
        )
        if found:
            return
    raise AssertionError(f"{selector} {text!r} not reached with {limit} presses of Tab")


def type_over(page: Page, text: str) -> None:
    page.keyboard.press("Control+a")
    page.keyboard.type(text)


def prescriptions_of(web: LiveClinic, record_id: str) -> list[str]:
    system = web.clinic.app.state.wiring.system
    with system.store.reading() as session:
        row = session.scalar(select(UserRow).where(UserRow.email == "doc@demo.test"))
    assert row is not None
    call = Call(actor_of(row), "keyboard-test", TODAY, NOW)
    record = read_record(system, call, web.clinic.patient_ids[record_id], TODAY)
    return [str(prescription.id) for prescription in record.prescriptions]


@pytest.fixture
def page(chromium: Browser, web_server: LiveClinic) -> Iterator[Page]:
    context = chromium.new_context(
        base_url=web_server.base_url, viewport={"width": 1280, "height": 800}
    )
    opened = context.new_page()
    opened.set_default_timeout(30000)
    yield opened
    context.close()


def test_a_prescriber_signs_in_checks_the_rules_and_prescribes_by_keyboard_alone(
    page: Page, web_server: LiveClinic
) -> None:
    before = prescriptions_of(web_server, "demo-02")
    page.goto("/login")
    tab_to(page, "[name=email]")
    page.keyboard.type("doc@demo.test")
    tab_to(page, "[name=password]")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/worklist")

    tab_to(page, f"a[href='/patients/{web_server.clinic.patient_ids['demo-02']}']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/patients/*")

    form = "form[action$='/prescribe']"
    tab_to(page, f"{form} [name=mg_per_day]")
    type_over(page, "60")
    tab_to(page, f"{form} [name=days_supply]")
    type_over(page, "30")
    tab_to(page, f"{form} button", text="Check the rules")
    with page.expect_response(lambda response: "/prescribe/check" in response.url):
        page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#rule-check').innerText.trim()")

    tab_to(page, f"{form} button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    issued = [p for p in prescriptions_of(web_server, "demo-02") if p not in before]
    assert len(issued) == 1, "one prescription is issued"
    assert issued[0] in page.content(), "the page shows the issued prescription's id"
