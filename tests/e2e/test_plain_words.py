"""Every page of every role, and the course summary PDF, speaks in words for people.

The demo clinic's pages are fetched as each role uses them (the work-list, every
patient's course, the planner, the rule check, a prescription issued, the pharmacy's
verification, the patient's day and guide, the administration, the error pages) and
their visible text (with the words a screen reader says: ``alt``, ``aria-label``,
``placeholder``) is searched for what a person should never have to read:

- a ``snake_case`` code (``comprehension_confirmed``, ``iud_copper``, ``mg_per_day``);
- a programme's or a rule set's id (``us-ipledge``, ``us-ipledge-2026-08-08``);
- a number with more than one decimal that is not a daily mg/kg (``42.24 mg/kg``);
  mg/kg/day keeps two (0.44 against the label's 0.4-0.8);
- a whole mg written with a decimal (``60.0 mg``);
- Python's ``None``, ``True`` or ``False``;
- on the patient's pages, a date in ISO form (a patient reads "4 December 2026").
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Final

import pytest
from pypdf import PdfReader

from isocourse.knowledge.loader import load_knowledge
from tests.web_support import WebClinic, log_in, post_form, web_clinic

KNOWLEDGE: Final = load_knowledge()
_IDS: Final = sorted(
    {*KNOWLEDGE.programmes.programmes, *(r.id for r in KNOWLEDGE.programmes.rulesets)},
    key=len,
    reverse=True,
)
INTERNAL: Final = {
    "a snake_case code": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "a programme or rule set id": re.compile(
        r"(?<![\w-])(?:" + "|".join(map(re.escape, _IDS)) + r")(?![\w-])"
    ),
    "a number with more than one decimal": re.compile(
        r"(?<![§\d.])(?<!§ )\b\d+\.\d{2,}\b(?!\.\d)(?!\s*mg/kg/day)"
    ),
    "a whole mg with a decimal": re.compile(r"\b\d+\.0\s*mg\b(?!/kg)"),
    "a Python value": re.compile(r"\b(?:None|True|False)\b"),
}
ISO_DATE: Final = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
URL: Final = re.compile(r"https?://\S+")
#: attributes whose words a person reads or hears
SPOKEN: Final = frozenset({"alt", "aria-label", "placeholder", "title"})


class _VisibleText(HTMLParser):
    """The text a person reads or hears on a page (not scripts, styles or hidden values);
    ``leave_out``: the class of elements to leave out too."""

    def __init__(self, leave_out: str = "") -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0
        self._leave_out = leave_out
        self._left_out: list[str] = []  # the tags open inside a left-out element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self._left_out or (self._leave_out and self._leave_out in classes):
            self._left_out.append(tag)
        if tag in ("script", "style") or self._left_out:
            self._skipping += 1
        if not self._skipping:
            self.parts.extend(value for name, value in attrs if name in SPOKEN and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") or self._left_out:
            self._skipping -= 1
        if self._left_out:
            self._left_out.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str, *, leave_out: str = "") -> str:
    """The page's words, as one line."""
    parser = _VisibleText(leave_out)
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def internal_words(text: str) -> list[str]:
    """What a person should not have to read in ``text``, each with what it is (web
    addresses left out: an address is not a word)."""
    text = URL.sub(" ", text)
    return [
        f"{what}: {match.group(0)!r} in …{text[max(0, match.start() - 60) : match.end() + 30]}…"
        for what, pattern in INTERNAL.items()
        for match in pattern.finditer(text)
    ]


@dataclass
class Seen:
    """The pages read, by role, and what was found on them."""

    pages: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def read(self, role: str, where: str, html: str) -> None:
        self.pages.setdefault(role, []).append(where)
        found = internal_words(visible_text(html))
        if role == "patient":
            # the guide's list of sources cites each source with its own date
            words = visible_text(html, leave_out="sources")
            found += [f"an ISO date for a patient: {m[0]!r}" for m in ISO_DATE.finditer(words)]
        self.problems += [f"{role} {where}: {problem}" for problem in found]


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebClinic]:
    yield from web_clinic(tmp_path_factory.mktemp("plain-words"))


def _prescriber_pages(clinic: WebClinic, seen: Seen) -> str:
    """Every prescriber page of the demo clinic; the id of a prescription issued."""
    with clinic.browser() as browser:
        page = log_in(browser, "doc@demo.test")
        seen.read("prescriber", "/worklist", page.text)
        for store_id in clinic.patient_ids.values():
            page = browser.get(f"/patients/{store_id}")
            assert page.status_code == 200
            seen.read("prescriber", f"/patients/{store_id}", page.text)
            check = post_form(
                browser,
                f"/patients/{store_id}/prescribe/check",
                page.text,
                mg_per_day="60",
                days_supply="30",
            )
            seen.read("prescriber", f"/patients/{store_id}/prescribe/check", check.text)
        patient = clinic.patient_ids["demo-01"]
        access = browser.get(f"/patients/{patient}/access")
        seen.read("prescriber", "/patients/…/access", access.text)
        issued = post_form(
            browser, f"/patients/{patient}/prescribe", page.text, mg_per_day="60", days_supply="30"
        )
        seen.read("prescriber", "prescription issued", issued.text)
        refused = post_form(
            browser,
            f"/patients/{clinic.patient_ids['demo-04']}/prescribe",
            page.text,
            mg_per_day="60",
            days_supply="30",
        )
        seen.read("prescriber", "prescription refused", refused.text)
        bad_order = post_form(
            browser,
            f"/patients/{patient}/prescribe/check",
            page.text,
            mg_per_day="sixty",
            days_supply="30",
        )
        seen.read("prescriber", "rule check of a bad order", bad_order.text)
        planner = browser.get("/planner")
        seen.read("prescriber", "/planner", planner.text)
        for weight in ("62kg", "sixty"):
            order = {"weight": weight, "product": "absorica", "mg_per_kg": "0.5"}
            plan = post_form(browser, "/planner", planner.text, **order)
            seen.read("prescriber", f"/planner with {weight}", plan.text)
        seen.read("prescriber", "a missing patient", browser.get("/patients/nobody").text)
        prescription = re.search(r"issued: <strong>([0-9a-f-]{36})</strong>", issued.text)
        assert prescription, "no prescription was issued"
        return prescription.group(1)


def _pharmacist_pages(clinic: WebClinic, seen: Seen, prescription: str) -> None:
    with clinic.browser() as browser:
        page = log_in(browser, "pharm@demo.test")
        seen.read("pharmacist", "/pharmacy", page.text)
        fields = {"prescription_id": prescription, "birth_date": "2004-11-01"}
        verified = post_form(browser, "/pharmacy", page.text, **fields)
        seen.read("pharmacist", "verification", verified.text)
        done = post_form(browser, "/pharmacy/dispense", verified.text, **fields)
        seen.read("pharmacist", "dispense", done.text)
        again = post_form(browser, "/pharmacy", done.text, **fields)
        seen.read("pharmacist", "verification after the dispense", again.text)
        unknown = {"prescription_id": "x", "birth_date": "2000-01-01"}
        wrong = post_form(browser, "/pharmacy", done.text, **unknown)
        seen.read("pharmacist", "no such prescription", wrong.text)


def _patient_pages(clinic: WebClinic, seen: Seen) -> None:
    with clinic.browser() as browser:
        page = log_in(browser, "sam@demo.test")
        seen.read("patient", "/me", page.text)
        seen.read("patient", "/me/guide", browser.get("/me/guide").text)
        missed = post_form(browser, "/me/check-in", page.text, missed="morning")
        seen.read("patient", "a missed dose", missed.text)
        symptom = "bad headache and blurry vision"
        flagged = post_form(browser, "/me/symptoms", page.text, text=symptom)
        seen.read("patient", "a red flag", flagged.text)
        seen.read("patient", "a prescriber's page", browser.get("/worklist").text)


def _admin_pages(clinic: WebClinic, seen: Seen) -> None:
    with clinic.browser() as browser:
        page = log_in(browser, "admin@demo.test")
        seen.read("admin", "/admin", page.text)
        seen.read("admin", "/account/second-factor", browser.get("/account/second-factor").text)
    with clinic.browser() as browser:
        seen.read("anonymous", "/login", browser.get("/login").text)


def test_no_page_of_any_role_shows_internal_words(clinic: WebClinic) -> None:
    seen = Seen()
    prescription = _prescriber_pages(clinic, seen)
    _pharmacist_pages(clinic, seen, prescription)
    _patient_pages(clinic, seen)
    _admin_pages(clinic, seen)
    # the scan read every page it meant to: it cannot pass by reading nothing
    assert len(seen.pages["prescriber"]) >= 2 * len(clinic.patient_ids) + 8
    assert {"prescriber", "pharmacist", "patient", "admin", "anonymous"} <= set(seen.pages)
    assert seen.problems == [], "\n".join(seen.problems)


def test_no_course_summary_shows_internal_words(clinic: WebClinic) -> None:
    problems = []
    with clinic.browser() as browser:
        log_in(browser, "doc@demo.test")
        for record_id, store_id in clinic.patient_ids.items():
            pdf = browser.get(f"/patients/{store_id}/report.pdf")
            pages = PdfReader(io.BytesIO(pdf.content)).pages
            text = " ".join(" ".join(page.extract_text().split()) for page in pages)
            assert record_id in text
            problems += [f"{record_id}.pdf: {found}" for found in internal_words(text)]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("Counselling kind comprehension_confirmed", "a snake_case code"),
        ("Male condom (iud_copper)", "a snake_case code"),
        ("as us-ipledge-2026-08-08 requires", "a programme or rule set id"),
        ("programme us-ipledge", "a programme or rule set id"),
        ("42.24 of 120 mg/kg", "a number with more than one decimal"),
        ("164.73 mg/kg", "a number with more than one decimal"),
        ("Your dose: 60.0 mg a day", "a whole mg with a decimal"),
        ("Weight None kg", "a Python value"),
    ],
)
def test_the_scan_finds_each_kind_of_internal_word(text: str, what: str) -> None:
    assert any(found.startswith(what) for found in internal_words(text))


def test_the_scan_leaves_words_for_people_alone() -> None:
    text = (
        "Jordan Blake (demo-04) · iPLEDGE REMS (US) · 42.2 of 120.0 mg/kg · 60 mg/day = "
        "0.44 mg/kg/day · Comprehension confirmed · 2026-12-04 Fri · PP_COUNSELLING_MISSING"
    )
    assert internal_words(text) == []
    page = '<p title="a_b">x<script>c_d</script><input value="e_f"></p>'
    assert visible_text(page) == "a_b x"
    assert internal_words("see https://a.b/c_d/10.1046") == []
    sources = '<p>2026-12-04</p><section class="sources"><ol><li>2025-06-04</li></ol></section>'
    assert visible_text(sources, leave_out="sources") == "2026-12-04"


def test_a_page_of_the_demo_clinic_would_fail_the_scan_with_a_raw_code(
    tmp_path: Path,
) -> None:
    """The scan reads real pages: a raw code put on one is found there."""
    for clinic in web_clinic(tmp_path):
        with clinic.browser() as browser:
            page = log_in(browser, "doc@demo.test")
            html = page.text.replace("</main>", "<p>overdue: mood_screen</p></main>")
            assert internal_words(visible_text(html)) != []
            assert internal_words(visible_text(page.text)) == []
