"""Every page of every role, in Chromium: nothing scrolls sideways from a 320 px phone to a
1280 px desktop, no date breaks across two lines, and axe-core finds no serious or critical
accessibility violation.

The pages are the web app's own GET routes, read from the app, so a new page is covered with
no change here. Each is opened signed out and as each role, its path parameters filled from
the demo clinic: every demo patient (stop, block, warning and no alerts), an unknown one
(the error page), a live invitation and an unknown one. What a GET cannot reach (the rule
check's answer, a refused and an issued prescription, the pharmacist's verification and the
dispense, the planner's plan and its error, a calendar link, a red flag) is reached by using
the pages as a person would, then measured the same way.

A failure names the role, the page and the width, and what sticks out (or axe's finding).
To stay quick (one browser, one context a role): each kind of chart is drawn once and
reused, and axe checks a page only when it has element kinds not yet checked for the role
(the 21 patients' access pages are one page to axe; their course pages are not).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import product
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from playwright.sync_api import Browser, BrowserContext, Page, Response, Route
from sqlalchemy import select

from isocourse.auth.users import actor_of
from isocourse.service.context import Call
from isocourse.service.invitations import invite_patient
from isocourse.service.views import read_record
from isocourse.store.tables import UserRow
from isocourse.web.rendering import PageRoute
from tests.browser_support import LiveClinic, log_in, require_chromium
from tests.web_support import NOW, TODAY

require_chromium()
pytestmark = pytest.mark.slow  # drives Chromium against a live server

WIDTHS = (320, 390, 768, 1280)
#: axe runs once a page, at the width its readers use: patients on phones, staff on desktops
AXE_WIDTH = {
    "signed out": 390,
    "patient": 390,
    "prescriber": 1280,
    "pharmacist": 1280,
    "admin": 1280,
}
HEIGHT = 800
#: who opens the pages: signed out, then each role's demo login
ROLES = {
    "signed out": "",
    "prescriber": "doc@demo.test",
    "pharmacist": "pharm@demo.test",
    "patient": "sam@demo.test",
    "admin": "admin@demo.test",
}
SERIOUS = ("serious", "critical")

#: The kinds of element on the page: each element's path of tags, classes and input types,
#: without text or ids. axe judges a page by these (names, roles, contrast of classes), so a
#: page whose kinds were all checked already (another patient's access page) is not rerun.
ELEMENT_KINDS = """() => {
  const kind = e => e.tagName + [...e.classList].sort().map(c => '.' + c).join('')
    + (e.type ? '[' + e.type + ']' : '')
    + (e.hasAttribute('role') ? '@' + e.getAttribute('role') : '');
  const path = e => e === document.body ? 'body' : path(e.parentElement) + '>' + kind(e);
  return [...new Set([...document.body.querySelectorAll('*')].map(path))].sort().join('|');
}"""
#: Whether the page scrolls sideways, and the dates that break across two lines: a <time>,
#: or a date (2026-11-22, 22 November 2026) in a heading.
LAYOUT = """() => {
  const root = document.documentElement;
  const lines = range => new Set([...range.getClientRects()].filter(r => r.width > 0)
    .map(r => Math.round(r.top))).size;
  const broken = [];
  const range = document.createRange();
  for (const time of document.querySelectorAll('time')) {
    range.selectNodeContents(time);
    if (lines(range) > 1) broken.push(time.textContent.trim());
  }
  const date = /\\d{4}-\\d{2}-\\d{2}|\\d{1,2} [A-Z][a-z]+ \\d{4}/g;
  for (const heading of document.querySelectorAll('h1, h2, h3')) {
    const walker = document.createTreeWalker(heading, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      for (const found of walker.currentNode.data.matchAll(date)) {
        range.setStart(walker.currentNode, found.index);
        range.setEnd(walker.currentNode, found.index + found[0].length);
        if (lines(range) > 1) broken.push(found[0]);
      }
    }
  }
  return {sideways: root.scrollWidth > root.clientWidth, broken: broken};
}"""
#: What sticks out past the right edge, in words: the innermost boxes, and text that runs
#: out of its box (a long word or URL), each with how far it reaches.
STICKING_OUT = """() => {
  const root = document.documentElement;
  const edge = root.clientWidth + 0.5;
  const out = [...document.body.querySelectorAll('*')].filter(element => {
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.right > edge;
  });
  const innermost = out.filter(element => !out.some(o => o !== element && element.contains(o)));
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  const texts = [];
  while (walker.nextNode()) {
    range.selectNodeContents(walker.currentNode);
    if (range.getBoundingClientRect().right > edge) texts.push(walker.currentNode);
  }
  const name = (element, right, text) => {
    const id = element.id ? '#' + element.id : '';
    const cls = element.classList.length ? '.' + [...element.classList].join('.') : '';
    const words = (text || '').replace(/\\s+/g, ' ').trim().slice(0, 60);
    return `<${element.tagName.toLowerCase()}${id}${cls}> to ${Math.round(right)} px "${words}"`;
  };
  const named = [
    ...innermost.map(e => name(e, e.getBoundingClientRect().right, e.innerText)),
    ...texts.map(t => {
      range.selectNodeContents(t);
      return 'text in ' + name(t.parentElement, range.getBoundingClientRect().right, t.data);
    }),
  ];
  return {scroll: root.scrollWidth, client: root.clientWidth, named: named.slice(0, 6)};
}"""


@dataclass
class Visit:
    """One page as one role saw it: what stuck out at each width, and axe's findings."""

    role: str
    page: str
    overflow: dict[int, str] = field(default_factory=dict)
    broken_dates: dict[int, list[str]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    unreached: str = ""  # why a state was not the one named (the page is measured all the same)


@dataclass
class Survey:
    visits: list[Visit]

    def of(self, role: str) -> list[Visit]:
        return [visit for visit in self.visits if visit.role == role]


def measure(page: Page, visit: Visit, axe: Axe, checked: set[str]) -> Visit:
    """The page as it is now at every width (sideways scroll, broken dates); axe's serious
    findings at the role's width, unless a page of the same element kinds was ``checked``."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        layout = page.evaluate(LAYOUT)
        if layout["broken"]:
            visit.broken_dates[width] = layout["broken"]
        if layout["sideways"]:
            found = page.evaluate(STICKING_OUT)
            sticking = "; ".join(found["named"]) or "nothing named"
            visit.overflow[width] = f"{found['scroll']} px wide in {found['client']} px: {sticking}"
        if width == AXE_WIDTH[visit.role]:
            visit.violations = axe_findings(page, axe, checked, width)
    page.set_viewport_size({"width": WIDTHS[-1], "height": HEIGHT})
    return visit


def axe_findings(page: Page, axe: Axe, checked: set[str], width: int) -> list[str]:
    kinds = page.evaluate(ELEMENT_KINDS)
    if kinds in checked:
        return []
    checked.add(kinds)
    return [
        f"{width} px: {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in axe.run(page).response["violations"]
        if v["impact"] in SERIOUS
    ]


# -- the pages: every GET page route, with its parameters filled ---------------------------


def page_routes(app: FastAPI) -> list[str]:
    """The web pages' GET paths (documents such as .png, .pdf and .ics are not pages)."""
    paths = {
        route.path or ""
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, PageRoute)
        and "GET" in (route.methods or ())
        and not PurePosixPath(route.path or "").suffix
    }
    assert {"/login", "/worklist", "/me"} <= paths, f"the page routes were not found: {paths}"
    return sorted(paths)


PARAMETER = re.compile(r"{(\w+)}")


def filled(path: str, samples: dict[str, list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """Every way to fill ``path``'s parameters from ``samples``: (URL, the path in words)."""
    names = PARAMETER.findall(path)
    unknown = [name for name in names if name not in samples]
    assert not unknown, f"{path}: add sample values for {unknown} to path_samples()"
    ways = []
    for choice in product(*(samples[name] for name in names)):
        url, words = path, []
        for name, (value, meaning) in zip(names, choice, strict=True):
            url = url.replace("{" + name + "}", value)
            words.append(f"{name}={meaning}")
        ways.append((url, f"{path} ({', '.join(words)})" if words else path))
    return ways


def prescriber_call(web: LiveClinic) -> Call:
    system = web.clinic.app.state.wiring.system
    with system.store.reading() as session:
        row = session.scalar(select(UserRow).where(UserRow.email == ROLES["prescriber"]))
    assert row is not None
    return Call(actor_of(row), "browser-survey", TODAY, NOW)


def path_samples(web: LiveClinic) -> dict[str, list[tuple[str, str]]]:
    """Values for the pages' path parameters: what each one names in the demo clinic."""
    ids = web.clinic.patient_ids
    system = web.clinic.app.state.wiring.system
    invitation = invite_patient(
        system, prescriber_call(web), ids["demo-02"], "maya@demo.test", hours=72
    )
    patients = [(store_id, record_id) for record_id, store_id in ids.items()]
    return {
        "patient_id": [*patients, ("no-such-patient", "unknown")],
        "token": [(invitation.token, "live invitation"), ("no-such-token", "unknown")],
    }


# -- the states a GET cannot reach, each for one role ----------------------------------


def submit(page: Page, selector: str, *, to: str = "") -> int:
    """Click the button ``selector``; wait for the POST's answer (to a path ending in ``to``,
    if given: a field left by the click may send htmx's rule check first) and for what it
    shows: the next page when the form was posted by the browser, htmx's swap when htmx
    sent it. The answer's status."""

    def awaited(response: Response) -> bool:
        return response.request.method == "POST" and urlsplit(response.url).path.endswith(to)

    page.evaluate("() => { window.beforeThePost = true }")  # gone once a new page loads
    with page.expect_response(awaited) as posted:
        page.locator(selector).first.click()
    if posted.value.request.is_navigation_request():
        page.wait_for_function("() => !window.beforeThePost && document.readyState === 'complete'")
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    return posted.value.status


PRESCRIBE_FORM = "form[action$='/prescribe']"
VERIFY = "form[action='/pharmacy']"  # the first: the one with the fields
Reach = Callable[[Page, LiveClinic], int]  # gets there; the status of the last POST
#: role, state, how to get there, whether the last POST is accepted (None: either will do)
State = tuple[str, str, Reach, bool | None]


def _rule_check(record_id: str, mg: str) -> Reach:
    def reach(page: Page, web: LiveClinic) -> int:
        page.goto(f"/patients/{web.clinic.patient_ids[record_id]}")
        page.locator(f"{PRESCRIBE_FORM} [name=mg_per_day]").fill(mg)
        page.locator(f"{PRESCRIBE_FORM} [name=days_supply]").fill("30")
        return submit(page, f"{PRESCRIBE_FORM} button:has-text('Check the rules')")

    return reach


def _prescribe(record_id: str, mg: str) -> Reach:
    def reach(page: Page, web: LiveClinic) -> int:
        page.goto(f"/patients/{web.clinic.patient_ids[record_id]}")
        page.locator(f"{PRESCRIBE_FORM} [name=mg_per_day]").fill(mg)
        page.locator(f"{PRESCRIBE_FORM} [name=days_supply]").fill("30")
        return submit(page, f"{PRESCRIBE_FORM} button[type=submit]", to="/prescribe")

    return reach


def _calendar_link(page: Page, web: LiveClinic) -> int:
    page.goto(f"/patients/{web.clinic.patient_ids['demo-01']}/access")
    return submit(page, "form[action$='/calendar-link'] button")


def _planner(weight: str) -> Reach:
    def reach(page: Page, web: LiveClinic) -> int:
        page.goto("/planner")
        page.locator("[name=weight]").fill(weight)
        page.locator("[name=product]").select_option("absorica")
        page.locator("[name=mg_per_kg]").fill("0.5")
        return submit(page, "form[action='/planner'] button[type=submit]")

    return reach


def latest_prescription(web: LiveClinic, record_id: str) -> tuple[str, str]:
    """The id of the patient's latest prescription, and their date of birth."""
    system = web.clinic.app.state.wiring.system
    store_id = web.clinic.patient_ids[record_id]
    record = read_record(system, prescriber_call(web), store_id, TODAY)
    return str(record.prescriptions[-1].id), record.patient.birth_date.isoformat()


def _verify(prescription: str = "") -> Reach:
    def reach(page: Page, web: LiveClinic) -> int:
        issued, born = latest_prescription(web, "demo-01")
        page.goto("/pharmacy")
        page.locator(f"{VERIFY} [name=prescription_id]").first.fill(prescription or issued)
        page.locator(f"{VERIFY} [name=birth_date]").first.fill(born)
        return submit(page, f"{VERIFY} button[type=submit]")

    return reach


def _dispense(page: Page, web: LiveClinic) -> int:
    assert _verify()(page, web) < 400, "the verification before the dispense"
    return submit(page, "form[action='/pharmacy/dispense'] button[type=submit]")


def _patient_button(action: str, text: str = "") -> Reach:
    def reach(page: Page, web: LiveClinic) -> int:
        page.goto("/me")
        if text:
            page.locator(f"form[action='{action}'] textarea").fill(text)
        return submit(page, f"form[action='{action}'] button")

    return reach


def _refused_log_in(page: Page, web: LiveClinic) -> int:
    page.goto("/login")
    page.locator("[name=email]").fill("nobody@demo.test")
    page.locator("[name=password]").fill("not the password")
    return submit(page, "form[action='/login'] button[type=submit]")


RED_FLAG = "really bad headache and blurry vision"
STATES: list[State] = [
    ("signed out", "log-in refused", _refused_log_in, False),
    ("prescriber", "rule check: allowed (demo-01)", _rule_check("demo-01", "60"), True),
    ("prescriber", "rule check: refused (demo-04)", _rule_check("demo-04", "60"), True),
    ("prescriber", "rule check: a dose that is not one", _rule_check("demo-01", "0"), None),
    ("prescriber", "prescription refused (demo-04)", _prescribe("demo-04", "60"), False),
    ("prescriber", "prescription issued (demo-01)", _prescribe("demo-01", "60"), True),
    ("prescriber", "calendar link issued (demo-01)", _calendar_link, True),
    ("prescriber", "planner: a plan", _planner("62kg"), True),
    ("prescriber", "planner: a weight that is not one", _planner("sixty"), False),
    ("pharmacist", "verification: allowed (demo-01)", _verify(), True),
    ("pharmacist", "verification: unknown prescription", _verify("no-such-prescription"), False),
    ("pharmacist", "dispense recorded (demo-01)", _dispense, True),
    ("pharmacist", "verification: already dispensed (demo-01)", _verify(), None),
    ("patient", "calendar link issued", _patient_button("/me/calendar-link"), True),
    ("patient", "dose checked in", _patient_button("/me/check-in"), True),
    ("patient", "red flag reported", _patient_button("/me/symptoms", RED_FLAG), True),
]


# -- the survey: every page and state, each role in turn -------------------------------


def survey_role(
    page: Page, web: LiveClinic, role: str, samples: dict[str, list[tuple[str, str]]], axe: Axe
) -> list[Visit]:
    visits: list[Visit] = []
    seen: set[str] = set()  # the URLs measured (a redirect to log in is measured once)
    checked: set[str] = set()  # the element kinds axe has checked for this role
    for path in page_routes(web.clinic.app):
        for index, (url, words) in enumerate(filled(path, samples)):
            response = page.goto(url)
            assert response is not None, url
            if page.url not in seen:
                seen.add(page.url)
                name = f"GET {words}, status {response.status} [{page.url}]"
                visits.append(measure(page, Visit(role, name), axe, checked))
            if index == 0 and (response.status >= 400 or urlsplit(page.url).path != url):
                break  # not this role's page: one refusal stands for the others
    for state_role, name, reach, accepted in STATES:
        if state_role == role:
            status = reach(page, web)
            visit = measure(page, Visit(role, f"{name} [{page.url}]"), axe, checked)
            if accepted is not None and (status < 400) != accepted:
                visit.unreached = f"the last POST answered {status}"
            visits.append(visit)
    return visits


def reuse_charts(context: BrowserContext) -> None:
    """Serve each kind of chart (cumulative, lab) as first drawn: a page's layout is what
    is measured here, and drawing every patient's charts would take most of the time."""
    drawn: dict[str, bytes] = {}

    def serve(route: Route) -> None:
        kind = "cumulative" if route.request.url.endswith("cumulative.png") else "lab"
        if kind not in drawn:
            answer = route.fetch()
            assert answer.ok, route.request.url
            drawn[kind] = answer.body()
        route.fulfill(status=200, content_type="image/png", body=drawn[kind])

    context.route("**/charts/*.png", serve)


@pytest.fixture(scope="module")
def survey(chromium: Browser, web_server: LiveClinic) -> Iterator[Survey]:
    axe = Axe()
    visits: list[Visit] = []
    samples = path_samples(web_server)
    for role, email in ROLES.items():
        context = chromium.new_context(
            base_url=web_server.base_url, viewport={"width": WIDTHS[-1], "height": HEIGHT}
        )
        reuse_charts(context)
        page = context.new_page()
        page.set_default_timeout(30000)
        if email:
            log_in(page, email)
        visits.extend(survey_role(page, web_server, role, samples, axe))
        context.close()
    yield Survey(visits)


@pytest.mark.parametrize("role", ROLES)
def test_the_survey_reaches_every_state_it_names(survey: Survey, role: str) -> None:
    missed = [f"{role}, {v.page}: {v.unreached}" for v in survey.of(role) if v.unreached]
    assert not missed, "states not reached:\n" + "\n".join(missed)


@pytest.mark.parametrize("role", ROLES)
def test_no_page_scrolls_sideways_from_a_phone_to_a_desktop(survey: Survey, role: str) -> None:
    visits = survey.of(role)
    assert visits, f"no page was opened as {role}"
    wide = [
        f"{role}, {visit.page}, {width} px: {what}"
        for visit in visits
        for width, what in visit.overflow.items()
    ]
    assert not wide, "pages scroll sideways:\n" + "\n".join(wide)


@pytest.mark.parametrize("role", ROLES)
def test_no_date_breaks_across_two_lines(survey: Survey, role: str) -> None:
    broken = [
        f"{role}, {visit.page}, {width} px: {', '.join(dates)}"
        for visit in survey.of(role)
        for width, dates in visit.broken_dates.items()
    ]
    assert not broken, "dates broken across two lines:\n" + "\n".join(broken)


@pytest.mark.parametrize("role", ROLES)
def test_axe_finds_nothing_serious_on_any_page(survey: Survey, role: str) -> None:
    visits = survey.of(role)
    assert visits, f"no page was opened as {role}"
    found = [
        f"{role}, {visit.page}, {violation}" for visit in visits for violation in visit.violations
    ]
    assert not found, "axe finds serious or critical violations:\n" + "\n".join(found)


def test_the_checks_find_a_wide_page_a_broken_date_and_a_serious_violation(
    chromium: Browser,
) -> None:
    """The survey's checks can fail: on a page made to break each one, each one does."""
    context = chromium.new_context(viewport={"width": WIDTHS[-1], "height": HEIGHT})
    page = context.new_page()
    page.set_content(
        "<!doctype html><html lang='en'><head><title>t</title></head><body><main>"
        "<h1 style='width: 9rem'>Today is 2026-11-22, a Sunday</h1>"
        "<div id='too-wide' style='width: 1000px'>wide</div>"
        "<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw=' width='10' height='10'>"
        "</main></body></html>"
    )
    visit = measure(page, Visit("prescriber", "made to fail"), Axe(), set())
    context.close()
    assert set(visit.overflow) == {320, 390, 768}
    assert "#too-wide" in visit.overflow[320]
    assert visit.broken_dates == {width: ["2026-11-22"] for width in WIDTHS}
    assert any(finding.startswith("1280 px: image-alt (critical)") for finding in visit.violations)
