"""The guide's own packaged files: the section index, its numbers and its sources.

``load_guide_catalogue()`` reads ``knowledge/guide/index.toml``, ``facts.toml`` and
``sources.toml`` once and validates them (pydantic, at this edge) into frozen values,
checked against the knowledge: every source cites known references, and every programme
of the knowledge (and ``none``) has its wording. The templates themselves are read by
:mod:`isocourse.guide.render`, from the catalogue's ``folder``. ``root`` is a knowledge
folder other than the packaged one (its ``guide`` folder is read), as for the loader.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import TypeAdapter, ValidationError

if TYPE_CHECKING:
    from isocourse.knowledge.references import ReferenceCatalogue

from isocourse.guide.model import Audience, GuideError, PregnancyCategory

GUIDE_PACKAGE = "isocourse.knowledge"
GUIDE_FOLDER = "guide"
_FORBID_EXTRA = {"extra": "forbid"}


@dataclass(frozen=True)
class SectionEntry:
    """One section or FAQ entry; empty tuples mean "applies to all"."""

    __pydantic_config__ = _FORBID_EXTRA
    id: str
    title: str
    template: str
    audiences: tuple[Audience, ...] = ()
    programmes: tuple[str, ...] = ()
    categories: tuple[PregnancyCategory, ...] = ()
    needs: Literal["", "record"] = ""


@dataclass(frozen=True)
class Words:
    """Plain words for codes of the knowledge data and of an assessment."""

    __pydantic_config__ = _FORBID_EXTRA
    categories: Mapping[str, str]
    tiers: Mapping[str, str]
    test_settings: Mapping[str, str]
    tasks: Mapping[str, str]
    drug_reasons: Mapping[str, str]


#: what the guide may add for a programme: a template shows a topic's paragraph when the
#: patient's programme lists the topic (``return-capsules``: take left-over capsules back
#: to the pharmacy; ``sexual-function``: the prescriber asks about sexual function)
ProgrammeTopic = Literal["return-capsules", "sexual-function"]


@dataclass(frozen=True)
class ProgrammeWording:
    """How the guide speaks of a programme: ``words`` name it in a sentence; ``topics``
    are the paragraphs its product information adds, each with the label of its source
    in sources.toml."""

    __pydantic_config__ = _FORBID_EXTRA
    words: str
    topics: Mapping[ProgrammeTopic, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GuideIndex:
    __pydantic_config__ = _FORBID_EXTRA
    sections: tuple[SectionEntry, ...]
    faq: tuple[SectionEntry, ...]
    words: Words
    #: programme id (programmes.toml) or none -> its wording
    programmes: Mapping[str, ProgrammeWording]


@dataclass(frozen=True)
class GuideFact:
    """A number only the guide needs, with its unit and source."""

    __pydantic_config__ = _FORBID_EXTRA
    value: float
    unit: Literal["days", "hours"]
    source: str


@dataclass(frozen=True)
class GuideCatalogue:
    index: GuideIndex
    facts: Mapping[str, GuideFact]
    sources: Mapping[str, str]
    #: the folder the templates are read from (the packaged guide when None)
    folder: Path | None = None


def load_guide_catalogue(root: Path | None = None) -> GuideCatalogue:
    """Read and validate the guide's index, facts and sources (once per folder). Every
    source must name a reference id of the knowledge's references.toml, and every
    programme of the knowledge must have its wording."""
    return _load_guide_catalogue(None if root is None else Path(root).resolve())


@cache
def _load_guide_catalogue(root: Path | None) -> GuideCatalogue:
    from isocourse.knowledge.loader import load_knowledge

    folder: Traversable
    folder = resources.files(GUIDE_PACKAGE) if root is None else root
    folder = folder.joinpath(GUIDE_FOLDER)
    index = _validate(folder.joinpath("index.toml"), GuideIndex)
    facts = _validate(folder.joinpath("facts.toml"), dict[str, GuideFact])
    sources = _validate(folder.joinpath("sources.toml"), dict[str, str])
    templates = None if root is None else root / GUIDE_FOLDER
    catalogue = GuideCatalogue(index=index, facts=facts, sources=sources, folder=templates)
    knowledge = load_knowledge(root)
    problems = source_problems_of(catalogue, knowledge.references)
    if problems:
        raise GuideError("guide sources", "; ".join(problems))
    problems = programme_problems_of(catalogue, knowledge.programmes.choices())
    if problems:
        raise GuideError("guide programmes", "; ".join(problems))
    return catalogue


def source_problems_of(catalogue: GuideCatalogue, references: ReferenceCatalogue) -> list[str]:
    """Sources of the guide's own files that cite no reference or an unknown one."""
    from isocourse.knowledge.references import source_problems

    texts = {f"sources.toml {name}": text for name, text in catalogue.sources.items()}
    texts.update({f"facts.toml {name}": fact.source for name, fact in catalogue.facts.items()})
    return [p for where, text in texts.items() for p in source_problems(where, text, references)]


def programme_problems_of(catalogue: GuideCatalogue, programmes: tuple[str, ...]) -> list[str]:
    """Programmes without wording, and wording or sections for programmes not known
    (``programmes``: the knowledge's programme ids and none)."""
    index = catalogue.index
    found = [
        f"index.toml: programme {p!r} has no [programmes.{p}] wording"
        for p in programmes
        if p not in index.programmes
    ]
    found += [
        f"index.toml: [programmes.{p}] names no programme of the knowledge"
        for p in index.programmes
        if p not in programmes
    ]
    for programme, wording in index.programmes.items():
        found += [
            f"index.toml: [programmes.{programme}] topic {topic!r} cites {cite!r}, "
            "which is not in sources.toml"
            for topic, cite in wording.topics.items()
            if cite not in catalogue.sources
        ]
    for entry in (*index.sections, *index.faq):
        found += [
            f"index.toml: section {entry.id!r} names unknown programme {p!r}"
            for p in entry.programmes
            if p not in programmes
        ]
    return found


def _validate(file: Traversable, kind: Any) -> Any:
    with file.open("rb") as handle:
        raw = tomllib.load(handle)
    try:
        return TypeAdapter(kind).validate_python(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise GuideError(f"guide/{file.name}", f"{where}: {first['msg']}") from error
