"""Every knowledge source cites the reference registry; the loader refuses one that does
not; alerts, the rule catalogue and docs/clinical-basis.md show the citations."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

import pytest

from isocourse.cli.knowledge_commands import guide_source_texts
from isocourse.knowledge.basis import clinical_basis_markdown
from isocourse.knowledge.loader import _cross_check, load_knowledge
from isocourse.knowledge.references import (
    Reference,
    ReferenceCatalogue,
    citations,
    sentence,
    source_problems,
)
from isocourse.record_parser import course_record_from_json
from isocourse.rules import assess

ROOT = Path(__file__).resolve().parents[2]
BASIS = ROOT / "docs" / "clinical-basis.md"


def _with_alert_source(source: str) -> list[str]:
    knowledge = load_knowledge()
    alerts = dict(knowledge.alerts)
    alerts["DOSE_WEIGHT_STALE"] = dataclasses.replace(alerts["DOSE_WEIGHT_STALE"], source=source)
    return _cross_check(dataclasses.replace(knowledge, alerts=alerts))


def test_the_loader_refuses_a_source_without_a_reference_id() -> None:
    problems = _with_alert_source("Re-weigh every 90 days (clinical practice)")
    assert problems == [
        "knowledge.alerts.DOSE_WEIGHT_STALE.source: cites no reference id "
        "([id] from references.toml)"
    ]


def test_the_loader_refuses_an_unknown_reference_id() -> None:
    problems = _with_alert_source("Re-weigh every 90 days [nice-2099 §1]")
    assert problems == [
        "knowledge.alerts.DOSE_WEIGHT_STALE.source: unknown reference id [nice-2099]"
    ]


def test_the_loader_accepts_a_known_reference_id() -> None:
    assert _with_alert_source("Re-weigh every 90 days [isocourse-rules DOSE_WEIGHT_STALE]") == []


def test_an_empty_source_is_refused() -> None:
    assert source_problems("x", "  ", load_knowledge().references) == ["x: empty source"]


def test_markers_carry_the_id_and_the_place_in_the_document() -> None:
    text = "Stop [us-label-absorica §5.7] and see [aad-2024]; LOINC [Mass/volume] is no marker"
    assert [(c.id, c.locator) for c in citations(text)] == [
        ("us-label-absorica", "§5.7"),
        ("aad-2024", ""),
    ]
    assert sentence(text) == "Stop and see; LOINC [Mass/volume] is no marker"


def test_a_citation_shows_the_short_form_the_locator_and_the_link() -> None:
    references = load_knowledge().references
    cited = references.cite("TG above 800 [us-label-absorica §5.8]; very high [ncep-atp3]")
    assert cited == (
        "Absorica US label (Sun Pharma, 2023) §5.8 — https://dailymed.nlm.nih.gov/dailymed/"
        "drugInfo.cfm?setid=3ef0cff8-19c1-4441-b780-fca6c7ee1615; "
        "NCEP ATP III (Circulation 2002) — https://doi.org/10.1161/circ.106.25.3143"
    )
    footnote = references.footnote("Very high [ncep-atp3]")
    assert footnote == (
        "Very high. Source: NCEP ATP III (Circulation 2002) — "
        "https://doi.org/10.1161/circ.106.25.3143"
    )


def test_a_reference_without_a_link_must_say_why() -> None:
    bare = Reference(
        issuer="x",
        title="t",
        citation="c",
        date="2020",
        kind="paper",
        confidence="low",
        note="n",
    )
    catalogue = ReferenceCatalogue(
        {"bare": bare, "Bad_Id": dataclasses.replace(bare, url="http://x")}
    )
    problems = catalogue.problems(None)
    assert "references.bare: no url: say why in url_missing" in problems
    assert "references.Bad_Id: id must be lower-case words joined by hyphens" in problems
    assert "references.Bad_Id: url must start with https://" in problems


def test_every_reference_is_valid_and_every_one_is_cited() -> None:
    knowledge = load_knowledge()
    assert knowledge.references.problems(knowledge) == []
    basis = clinical_basis_markdown(knowledge, guide_source_texts())
    assert "Cited by: nothing yet" not in basis


def test_every_alert_source_resolves_to_an_entry_of_the_clinical_basis() -> None:
    knowledge = load_knowledge()
    headings = set(re.findall(r"^#### ([a-z0-9-]+)$", BASIS.read_text(encoding="utf-8"), re.M))
    for code, definition in knowledge.alerts.items():
        ids = {c.id for c in citations(definition.source)}
        assert ids, code
        assert ids <= headings, (code, ids - headings)


def test_an_alert_carries_the_citations_with_their_links() -> None:
    import json

    knowledge = load_knowledge()
    document = json.loads((ROOT / "examples" / "course-record.json").read_text(encoding="utf-8"))
    course = course_record_from_json(document, knowledge, today=date(2026, 12, 31))
    assessment = assess(course, knowledge, as_of=course.as_of)
    assert len(assessment.alerts) >= 3
    for alert in assessment.alerts:
        definition = knowledge.alerts[alert.code]
        assert alert.source == knowledge.references.cite(definition.source)
        assert "[" not in alert.source, alert.code  # no raw marker reaches a user
        for cited in citations(definition.source):
            reference = knowledge.references[cited.id]
            assert reference.citation in alert.source
            if reference.url:
                assert reference.url in alert.source


def test_the_clinical_basis_in_docs_matches_the_knowledge_data() -> None:
    written = BASIS.read_text(encoding="utf-8")
    assert written == clinical_basis_markdown(load_knowledge(), guide_source_texts()), (
        "docs/clinical-basis.md drifted: run "
        "`isocourse knowledge basis --format markdown > docs/clinical-basis.md`"
    )


@pytest.mark.parametrize("code", ["LAB_TG_SEVERE", "PP_SECOND_PRESCRIBER_MISSING"])
def test_the_rule_catalogue_shows_the_basis_and_links_to_the_references(code: str) -> None:
    from isocourse.cli.catalogue import catalogue_json

    entry = next(e for e in catalogue_json(load_knowledge()) if e["code"] == code)
    assert entry["basis"] and "[" not in entry["basis"]
    assert "https://" in entry["source"]
    rules = (ROOT / "docs/rules.md").read_text(encoding="utf-8")
    (line,) = [line for line in rules.splitlines() if line.startswith(f"| {code} |")]
    assert "](clinical-basis.md#" in line
