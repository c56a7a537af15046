"""The reference registry: every document the clinical knowledge rests on, by a stable id.

Each knowledge entry's ``source`` is a short sentence in the project's words with one
or more reference markers: ``[id]`` or ``[id locator]``, where ``id`` names an entry of
``references.toml`` and ``locator`` is the place in it (``§5.8``, ``Table 1``,
``section 4.3``)::

    "Triglycerides above 800 mg/dL reported, linked to pancreatitis [us-label-absorica §5.8]"

:meth:`ReferenceCatalogue.cite` turns a source into its short citations with their links
(what an alert carries as its ``source``); :meth:`ReferenceCatalogue.footnote` keeps the
sentence and adds the citations (what the guide's footnotes and docs/rules.md show).
The loader refuses a source without a marker or with an unknown id.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

Kind = Literal[
    "label",
    "register",
    "regulator",
    "programme",
    "guideline",
    "paper",
    "standard",
    "report",
    "decision",
]
Confidence = Literal["high", "medium", "low"]

#: ``[id]`` or ``[id locator]``; ids are lower case words joined by hyphens
MARKER = re.compile(r"\[(?P<id>[a-z][a-z0-9]*(?:-[a-z0-9]+)*)(?: (?P<locator>[^\[\]]+))?\]")
_ID = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
_DATE = re.compile(r"^(\d{4}(-\d{2}(-\d{2})?)?|undated)$")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.;:)])")
_EMPTY_BRACKETS = re.compile(r"\(\s*\)")


@dataclass(frozen=True)
class Citation:
    """One marker in a source: the reference id and, optionally, the place in it."""

    id: str
    locator: str = ""


@dataclass(frozen=True)
class Reference:
    """One document: a label, a regulator's page, a guideline, a paper, a standard.

    ``citation`` is the short form shown with alerts (``Absorica US label (Sun Pharma,
    2023)``). ``url`` is a public link; when none could be confirmed ``url_missing`` says
    why. A ``decision`` is the project's own choice, documented in the repository
    (``url`` is then a path under ``docs/``).
    """

    __pydantic_config__ = {"extra": "forbid"}
    issuer: str
    title: str
    citation: str
    date: str
    kind: Kind
    confidence: Confidence
    note: str
    url: str | None = None
    url_missing: str | None = None

    @property
    def link(self) -> str:
        """The public link, or the words saying there is none."""
        return self.url or "no public link"


@dataclass(frozen=True)
class ReferenceCatalogue:
    __pydantic_config__ = {"extra": "forbid"}
    references: Mapping[str, Reference]

    def __contains__(self, reference_id: object) -> bool:
        return reference_id in self.references

    def __getitem__(self, reference_id: str) -> Reference:
        return self.references[reference_id]

    def cite(self, source: str) -> str:
        """The short citations of ``source``, each with its locator and link, in order.

        ``"Absorica US label (Sun Pharma, 2023) §5.8 — https://…; NCEP ATP III (NHLBI,
        2002) — https://doi.org/…"``. Raises KeyError for an unknown id (the loader has
        refused such knowledge already).
        """
        return "; ".join(self._one(citation) for citation in unique_citations(source))

    def footnote(self, source: str) -> str:
        """The sentence without its markers, then its citations: ``"… Source: …"``.

        A text without markers (a product's label list, which carries its own links) is
        returned as it is."""
        if not citations(source):
            return source
        text = sentence(source)
        cited = self.cite(source)
        if not text:
            return f"Source: {cited}"
        end = "" if text.endswith((".", "!", "?")) else "."
        return f"{text}{end} Source: {cited}"

    def markdown(self, source: str, *, basis_link: str = "clinical-basis.md") -> str:
        """The citations as Markdown links, each with a link to its entry in the basis."""
        parts = []
        for citation in unique_citations(source):
            reference = self.references[citation.id]
            text = f"{reference.citation} {citation.locator}".strip()
            linked = f"[{text}]({reference.url})" if _is_web(reference.url) else text
            parts.append(f"{linked} ([{citation.id}]({basis_link}#{citation.id}))")
        return "; ".join(parts)

    def _one(self, citation: Citation) -> str:
        reference = self.references[citation.id]
        text = f"{reference.citation} {citation.locator}".strip()
        return f"{text} — {reference.url}" if reference.url else text

    def problems(self, knowledge: object) -> list[str]:
        found: list[str] = []
        for reference_id, reference in self.references.items():
            where = f"references.{reference_id}"
            if not _ID.match(reference_id):
                found.append(f"{where}: id must be lower-case words joined by hyphens")
            if not _DATE.match(reference.date):
                found.append(f"{where}: date must be YYYY, YYYY-MM, YYYY-MM-DD or 'undated'")
            for field in ("issuer", "title", "citation", "note"):
                if not getattr(reference, field).strip():
                    found.append(f"{where}: empty {field}")
            found.extend(f"{where}: {p}" for p in _link_problems(reference))
        return found


def _link_problems(reference: Reference) -> list[str]:
    if reference.url is None:
        if not (reference.url_missing or "").strip():
            return ["no url: say why in url_missing"]
        return []
    if reference.url_missing is not None:
        return ["both url and url_missing: keep one"]
    if reference.kind == "decision":
        ok = reference.url.startswith("docs/") and reference.url.endswith(".md")
        return [] if ok else ["a decision links to its page under docs/"]
    return [] if reference.url.startswith("https://") else ["url must start with https://"]


def _is_web(url: str | None) -> bool:
    return bool(url) and str(url).startswith("https://")


def citations(source: str) -> list[Citation]:
    """Every marker of ``source``, in order (repeats kept)."""
    return [
        Citation(match["id"], (match["locator"] or "").strip()) for match in MARKER.finditer(source)
    ]


def unique_citations(source: str) -> list[Citation]:
    """The markers of ``source``, each (id, locator) once, in order of first use."""
    return list(dict.fromkeys(citations(source)))


def sentence(source: str) -> str:
    """``source`` without its markers, tidied (no space before punctuation, no ``()``)."""
    text = MARKER.sub("", source)
    text = _EMPTY_BRACKETS.sub("", text)
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    return " ".join(text.split()).strip()


def source_texts(value: object, where: str) -> Iterator[tuple[str, str]]:
    """``(where, text)`` for every ``*source`` text field anywhere in ``value``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            child = getattr(value, item.name)
            if item.name.endswith("source") and isinstance(child, str):
                yield f"{where}.{item.name}", child
            else:
                yield from source_texts(child, f"{where}.{item.name}")
    elif isinstance(value, Mapping):
        for key, child in value.items():
            yield from source_texts(child, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, child in enumerate(value):
            yield from source_texts(child, f"{where}[{index}]")


def source_problems(where: str, text: str, catalogue: ReferenceCatalogue) -> list[str]:
    """Why ``text`` is not a valid source: empty, no reference id, or an unknown one."""
    if not text.strip():
        return [f"{where}: empty source"]
    cited = citations(text)
    if not cited:
        return [f"{where}: cites no reference id ([id] from references.toml)"]
    return [
        f"{where}: unknown reference id [{citation.id}]"
        for citation in cited
        if citation.id not in catalogue
    ]
