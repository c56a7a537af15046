"""docs/api.md's "Who may do what" table is the authorisation policy the server is
tested with (``tests/e2e/authorisation_policy.py``, walked cell by cell against the
running app by ``test_authorisation_matrix``), route by route and caller by caller; the
other documents link to it instead of repeating it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.authorisation_policy import CALLERS, OWN_CLINIC, OWN_PATIENT, POLICY, Rule

ROOT = Path(__file__).resolve().parents[2]
API_DOC = ROOT / "docs" / "api.md"
HEADING = "## Who may do what"
#: the table's words for what a caller may do, as the policy says it
WORDS = {
    frozenset(): "—",
    frozenset({"none"}): "yes",
    OWN_CLINIC: "own clinic",
    OWN_PATIENT: "own record",
    frozenset({"own token"}): "with the link",
}
COLUMNS = {"signed out": "anonymous", **{caller: caller for caller in CALLERS}}


def documented(text: str | None = None) -> dict[tuple[str, str], dict[str, str]]:
    """(method, path) -> caller -> the cell, from the table under HEADING in docs/api.md."""
    text = API_DOC.read_text(encoding="utf-8") if text is None else text
    assert HEADING in text, f"docs/api.md has no {HEADING!r} section"
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert header[0] == "route" and [COLUMNS[name] for name in header[1:]] == list(CALLERS)
    table: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows[2:]:
        route, *cells = (cell.strip() for cell in row.strip("|").split("|"))
        match = re.fullmatch(r"`(GET|POST|PUT|PATCH|DELETE) (\S+)`", route)
        assert match, f"not a route: {route!r}"
        key = (match[1], match[2])
        assert key not in table, f"{route} twice"
        table[key] = dict(zip(CALLERS, cells, strict=True))
    return table


def expected_cell(rule: Rule, caller: str) -> str:
    return WORDS[frozenset(rule.allowed.get(caller, frozenset()))]


def test_the_table_lists_every_route_of_the_policy_and_no_other() -> None:
    table = documented()
    assert sorted(set(POLICY) - set(table)) == [], "routes the table leaves out"
    assert sorted(set(table) - set(POLICY)) == [], "routes the policy does not know"


def mismatches(text: str | None = None) -> list[str]:
    return [
        f"{method} {path}, {caller}: the table says {cell!r}, the policy {expected!r}"
        for (method, path), cells in documented(text).items()
        for caller, cell in cells.items()
        if cell != (expected := expected_cell(POLICY[(method, path)], caller))
    ]


def test_every_cell_says_what_the_policy_allows() -> None:
    assert mismatches() == []


def test_the_documents_that_mention_access_link_to_the_table() -> None:
    for name in ("interoperability.md", "web.md"):
        text = (ROOT / "docs" / name).read_text(encoding="utf-8")
        assert "api.md#who-may-do-what" in text, name
    interop = (ROOT / "docs" / "interoperability.md").read_text(encoding="utf-8")
    assert "| who |" not in interop, "interoperability.md repeats a who-may column"


def test_a_cell_that_disagrees_is_found() -> None:
    """The comparison can fail: a table that denies the patient their own PDF is caught."""
    row = "| `GET /api/v1/patients/{patient_id}/report.pdf` | — | own clinic | — | own record | — |"
    text = API_DOC.read_text(encoding="utf-8")
    assert row in text
    wrong = text.replace(row, row.replace("own record", "—"))
    assert mismatches(wrong) == [
        "GET /api/v1/patients/{patient_id}/report.pdf, patient: "
        "the table says '—', the policy 'own record'"
    ]
