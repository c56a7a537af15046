"""The guide as HTML: Markdown rendered by markdown-it-py, footnotes as numbered links.

``guide_html(guide)`` returns a whole printable page; ``guide_html_fragment(guide)``
the part a web page embeds. Source markers ``[^label]`` become superscript numbers
(numbered by first citation) linking to the Sources list, which quotes each source.
Raw HTML in the Markdown is not passed through: all text is escaped.
"""

from __future__ import annotations

import re
from html import escape

from markdown_it import MarkdownIt

from isocourse.guide.render import SOURCES_HEADING, RenderedGuide
from isocourse.guide.sourcing import MARKER

_PARSER = MarkdownIt("commonmark", {"html": False})
_MARKERS = re.compile(rf"(?:{MARKER.pattern})+")
_STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; line-height: 1.5; margin: 2em auto;
       max-width: 46em; padding: 0 1em; color: #111; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ccc; }
blockquote { border-left: 4px solid #888; margin-left: 0; padding-left: 1em; }
sup.source a { text-decoration: none; }
section.sources { font-size: 0.85em; color: #333; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; } }
"""


def guide_html_fragment(guide: RenderedGuide, *, links: bool = True) -> str:
    """The guide's body and its Sources list, for embedding in a page.

    ``links=False`` prints plain superscript numbers (for the PDF, which has no anchors).
    """
    labels = guide.cited()
    numbers = {label: number for number, label in enumerate(labels, start=1)}
    body = _PARSER.render(guide.markdown(with_sources=False))
    body = _MARKERS.sub(lambda match: _references(match.group(0), numbers, links=links), body)
    items = "\n".join(
        f'<li id="source-{label}">{escape(" ".join(guide.sources[label].split()))}</li>'
        for label in labels
    )
    sources = f'<section class="sources"><h2>{SOURCES_HEADING}</h2>\n<ol>\n{items}\n</ol></section>'
    return f"{body}{sources}\n"


def guide_html(guide: RenderedGuide) -> str:
    """A whole HTML page (UTF-8, printable) holding the guide."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(guide.title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{guide_html_fragment(guide)}</main>\n</body>\n</html>\n"
    )


def _references(markers: str, numbers: dict[str, int], *, links: bool) -> str:
    """Adjacent markers as one superscript: ``<sup>1, 5</sup>``."""
    labels = MARKER.findall(markers)
    if not links:
        return f"<sup>{', '.join(str(numbers[label]) for label in labels)}</sup>"
    anchors = ", ".join(
        f'<a href="#source-{label}" title="source">{numbers[label]}</a>' for label in labels
    )
    return f'<sup class="source">{anchors}</sup>'


def section_html(guide: RenderedGuide, section_id: str) -> str:
    """One section's text as HTML without its source markers (the full guide lists them)."""
    rendered: str = _PARSER.render(MARKER.sub("", guide.section(section_id).body))
    return rendered
