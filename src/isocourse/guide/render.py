"""Render the isotretinoin guide as Markdown, from the knowledge data and the options.

``render_guide(knowledge, options)`` picks the sections and FAQ entries that apply to
the options (audience, programme, pregnancy category, whether a record is given),
renders each Jinja2 template with the values of :func:`build_context`, and returns a
:class:`RenderedGuide`. Its ``markdown()`` is the whole page with numbered-by-label
footnotes ``[^label]`` and a Sources list quoting each cited source. Pure apart from
reading the templates (the packaged ones, or those of the catalogue's folder).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from jinja2 import BaseLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

from isocourse.guide.catalogue import (
    GUIDE_FOLDER,
    GUIDE_PACKAGE,
    GuideCatalogue,
    SectionEntry,
    load_guide_catalogue,
)
from isocourse.guide.context import build_context, product_of, source_texts
from isocourse.guide.model import GuideOptions
from isocourse.guide.sourcing import cited_labels, footnote_definitions
from isocourse.guide.wording import day
from isocourse.knowledge.model import Knowledge

Kind = Literal["section", "faq"]
FAQ_HEADING = "Questions people ask"
SOURCES_HEADING = "Sources"
DISCLAIMER = (
    "This guide supports the advice of your prescriber and pharmacist; it does not replace it. "
    "Always read the leaflet that comes with your medicine."
)
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class RenderedSection:
    """One section or FAQ answer: its Markdown body carries ``[^label]`` markers."""

    id: str
    title: str
    kind: Kind
    body: str

    def markdown(self) -> str:
        level = "###" if self.kind == "faq" else "##"
        return f"{level} {self.title}\n\n{self.body}\n"


@dataclass(frozen=True)
class RenderedGuide:
    title: str
    subtitle: str
    sections: tuple[RenderedSection, ...]
    sources: Mapping[str, str]

    def section(self, section_id: str) -> RenderedSection:
        return next(s for s in self.sections if s.id == section_id)

    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.sections)

    def cited(self) -> list[str]:
        """The source labels cited anywhere, in order of first citation."""
        return cited_labels("\n".join(s.body for s in self.sections))

    def sections_markdown(self) -> str:
        """The sections and FAQ answers only: the text whose statements must cite sources
        (the title, the fitted-for line and the disclaimer are not clinical statements)."""
        return "\n".join(s.markdown() for s in self.sections)

    def markdown(self, *, with_sources: bool = True) -> str:
        """The whole guide as one Markdown page, with its Sources list at the end."""
        parts = [f"# {self.title}\n", f"{self.subtitle}\n", f"> {DISCLAIMER}\n"]
        parts += [s.markdown() for s in self.sections if s.kind == "section"]
        faq = [s.markdown() for s in self.sections if s.kind == "faq"]
        if faq:
            parts += [f"## {FAQ_HEADING}\n", *faq]
        if with_sources:
            parts += [f"## {SOURCES_HEADING}\n", footnote_definitions(self.cited(), self.sources)]
        return "\n".join(parts).rstrip() + "\n"


def applies(entry: SectionEntry, options: GuideOptions) -> bool:
    """Whether a section or FAQ entry belongs in the guide for these options."""
    checks = (
        (entry.audiences, options.audience),
        (entry.programmes, options.programme),
        (entry.categories, options.category),
    )
    if any(allowed and value not in allowed for allowed, value in checks):
        return False
    return entry.needs != "record" or options.personal is not None


def render_guide(
    knowledge: Knowledge, options: GuideOptions, catalogue: GuideCatalogue | None = None
) -> RenderedGuide:
    """The guide fitted to ``options`` (raises GuideError naming a bad option)."""
    catalogue = catalogue or load_guide_catalogue()
    context = build_context(knowledge, catalogue, options)
    entries: list[tuple[SectionEntry, Kind]] = [(e, "section") for e in catalogue.index.sections]
    entries += [(e, "faq") for e in catalogue.index.faq]
    sections = tuple(
        RenderedSection(
            entry.id, entry.title, kind, render_template(entry.template, context, catalogue.folder)
        )
        for entry, kind in entries
        if applies(entry, options)
    )
    return RenderedGuide(
        title=_title(knowledge, options),
        subtitle=_subtitle(catalogue, options),
        sections=sections,
        sources=source_texts(knowledge, catalogue, options),
    )


def render_template(name: str, context: Mapping[str, Any], folder: Path | None = None) -> str:
    """One template rendered and tidied (no runs of blank lines, no trailing space);
    from ``folder``, else the packaged guide."""
    text = _environment(folder).get_template(name).render(context)
    lines = [line.rstrip() for line in text.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


@cache
def _environment(folder: Path | None) -> Environment:
    loader: BaseLoader
    if folder is None:
        loader = PackageLoader(GUIDE_PACKAGE, GUIDE_FOLDER)
    else:
        loader = FileSystemLoader(folder)
    return Environment(
        loader=loader,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _title(knowledge: Knowledge, options: GuideOptions) -> str:
    name = product_of(knowledge, options.product).name
    if options.audience == "clinician":
        return f"Isotretinoin guide for clinicians: {name}"
    return f"Your isotretinoin guide: {name}"


def _subtitle(catalogue: GuideCatalogue, options: GuideOptions) -> str:
    words = catalogue.index.words
    wording = catalogue.index.programmes.get(options.programme)
    programme = wording.words if wording is not None else options.programme
    category = words.categories.get(options.category, options.category)
    who = f"Patient {options.personal.patient_id} · " if options.personal else ""
    return (
        f"_{who}Programme: {programme} · Pregnancy: {category} · "
        f"Rules in force on {day(options.as_of)}_"
    )
