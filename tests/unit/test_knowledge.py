"""The knowledge loads, every entry is sourced, and bad knowledge refuses to start."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from isocourse.cli.catalogue import catalogue_markdown
from isocourse.knowledge.loader import KnowledgeError, _describe, load_knowledge
from isocourse.knowledge.references import source_problems, source_texts

ROOT = Path(__file__).resolve().parents[2]


def test_the_knowledge_loads_and_is_frozen() -> None:
    knowledge = load_knowledge()
    with pytest.raises(dataclasses.FrozenInstanceError):
        knowledge.course = None  # type: ignore[misc]


def test_every_alert_definition_has_a_source_a_title_and_plain_words() -> None:
    for definition in load_knowledge().alerts.values():
        assert definition.source.strip(), definition.code
        assert definition.title.strip(), definition.code
        assert len(definition.message) > 30, definition.code


def test_every_source_field_anywhere_is_found() -> None:
    @dataclasses.dataclass(frozen=True)
    class Entry:
        value: int
        source: str

    found = list(source_texts({"a": [Entry(1, "label [x]"), Entry(2, " ")]}, "x"))
    assert found == [("x.a[0].source", "label [x]"), ("x.a[1].source", " ")]


def test_no_loaded_entry_lacks_a_known_reference() -> None:
    knowledge = load_knowledge()
    texts = list(source_texts(knowledge, "knowledge"))
    assert len(texts) > 250  # alerts, course, labs, drugs, symptoms, programmes, products ...
    assert [
        problem
        for where, text in texts
        for problem in source_problems(where, text, knowledge.references)
    ] == []


def test_condition_alerts_name_catalogue_codes() -> None:
    knowledge = load_knowledge()
    for entry in knowledge.conditions.conditions.values():
        assert entry.alert is None or entry.alert in knowledge.alerts


def test_a_validation_problem_names_the_file_and_field() -> None:
    from pydantic import TypeAdapter, ValidationError

    from isocourse.knowledge.course import SourcedNumber

    with pytest.raises(ValidationError) as caught:
        TypeAdapter(SourcedNumber).validate_python({"value": "many", "source": "x"})
    assert "course.toml: field 'value'" in _describe("course.toml", caught.value)


def test_knowledge_error_is_the_loader_refusal() -> None:
    assert issubclass(KnowledgeError, Exception)


def test_the_rule_catalogue_in_docs_matches_the_knowledge_data() -> None:
    written = (ROOT / "docs/rules.md").read_text(encoding="utf-8")
    assert written == catalogue_markdown(load_knowledge()), (
        "docs/rules.md drifted: run `isocourse rules --format markdown > docs/rules.md`"
    )
