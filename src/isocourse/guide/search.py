"""Search the guide: the sections and FAQ answers whose words match a query.

``search_guide(guide, "alcohol")`` returns the matching sections in reading order; a
section matches when every word of the query appears in its title or text (any case,
source markers ignored). ``search_markdown`` prints the matches with their sources.
"""

from __future__ import annotations

import re

from isocourse.guide.render import SOURCES_HEADING, RenderedGuide, RenderedSection
from isocourse.guide.sourcing import cited_labels, footnote_definitions, strip_markers

_WORD = re.compile(r"[\w']+")


def query_words(query: str) -> list[str]:
    return [word.casefold() for word in _WORD.findall(query)]


def search_guide(guide: RenderedGuide, query: str) -> list[RenderedSection]:
    """Sections and FAQ answers holding every word of ``query`` (none for an empty query)."""
    words = query_words(query)
    if not words:
        return []
    found = []
    for section in guide.sections:
        text = f"{section.title}\n{strip_markers(section.body)}".casefold()
        if all(word in text for word in words):
            found.append(section)
    return found


def search_markdown(guide: RenderedGuide, query: str) -> str:
    """The matches as Markdown, each under its heading, with the sources they cite."""
    hits = search_guide(guide, query)
    if not hits:
        return f"Nothing in the guide matches {query!r}.\n"
    parts = [f"# {guide.title}: {len(hits)} match(es) for {query!r}\n"]
    parts += [f"## {hit.title}\n\n{hit.body}\n" for hit in hits]
    labels = cited_labels("\n".join(hit.body for hit in hits))
    parts += [f"## {SOURCES_HEADING}\n", footnote_definitions(labels, guide.sources)]
    return "\n".join(parts).rstrip() + "\n"
