"""Source markers: every clinical statement of the guide says where it comes from.

A statement is a paragraph or a list item of a section's Markdown body. It carries at
least one footnote marker ``[^label]`` whose label resolves to a source text (from the
guide's ``sources.toml`` and ``facts.toml`` or from a knowledge entry's ``source``).
Headings are not statements (a FAQ question is a heading). :func:`unsourced_statements`
finds the statements that break the rule; the tests run it over every rendering.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping

from markdown_it import MarkdownIt

MARKER = re.compile(r"\[\^([a-z][a-z-]*)\]")
_PARSER = MarkdownIt("commonmark")


def statements(markdown: str) -> list[str]:
    """The paragraphs and list-item paragraphs of ``markdown``, as their source text."""
    tokens = _PARSER.parse(markdown)
    found: list[str] = []
    for before, token in itertools.pairwise(tokens):
        if token.type == "inline" and before.type == "paragraph_open":
            found.append(token.content)
    return found


def unsourced_statements(markdown: str, known_labels: Iterable[str]) -> list[str]:
    """Statements with no marker, or with a marker whose label is not a known source."""
    known = set(known_labels)
    problems: list[str] = []
    for statement in statements(markdown):
        labels = MARKER.findall(statement)
        if not labels:
            problems.append(f"no source: {statement!r}")
        problems.extend(
            f"unknown source [^{label}]: {statement!r}" for label in labels if label not in known
        )
    return problems


def cited_labels(markdown: str) -> list[str]:
    """The labels cited in ``markdown``, each once, in order of first citation."""
    return list(dict.fromkeys(MARKER.findall(markdown)))


def strip_markers(text: str) -> str:
    """``text`` without its source markers (for reading-age checks and plain search)."""
    return MARKER.sub("", text)


def footnote_definitions(labels: Iterable[str], sources: Mapping[str, str]) -> str:
    """Markdown footnote definitions ``[^label]: source`` for the labels cited."""
    return "\n".join(f"[^{label}]: {_one_line(sources[label])}" for label in labels)


def _one_line(text: str) -> str:
    return " ".join(text.split())
