"""The guide's own packaged files: the section index, its numbers and its sources.

``load_guide_catalogue()`` reads ``knowledge/guide/index.toml``, ``facts.toml`` and
``sources.toml`` once and validates them (pydantic, at this edge) into frozen values.
The templates themselves are read by :mod:`isocourse.guide.render`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from isocourse.guide.model import Audience, GuideError, PregnancyCategory
from isocourse.record import Programme

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
    programmes: tuple[Programme, ...] = ()
    categories: tuple[PregnancyCategory, ...] = ()
    needs: Literal["", "record"] = ""


@dataclass(frozen=True)
class Words:
    """Plain words for codes of the knowledge data and of an assessment."""

    __pydantic_config__ = _FORBID_EXTRA
    programmes: Mapping[str, str]
    categories: Mapping[str, str]
    tiers: Mapping[str, str]
    test_settings: Mapping[str, str]
    tasks: Mapping[str, str]
    drug_reasons: Mapping[str, str]


@dataclass(frozen=True)
class GuideIndex:
    __pydantic_config__ = _FORBID_EXTRA
    sections: tuple[SectionEntry, ...]
    faq: tuple[SectionEntry, ...]
    words: Words


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


@cache
def load_guide_catalogue() -> GuideCatalogue:
    """Read and validate the guide's index, facts and sources (once). Every source must
    name at least one reference id of the knowledge's references.toml."""
    folder = resources.files(GUIDE_PACKAGE).joinpath(GUIDE_FOLDER)
    index = _validate(folder.joinpath("index.toml"), GuideIndex)
    facts = _validate(folder.joinpath("facts.toml"), dict[str, GuideFact])
    sources = _validate(folder.joinpath("sources.toml"), dict[str, str])
    catalogue = GuideCatalogue(index=index, facts=facts, sources=sources)
    problems = source_problems_of(catalogue)
    if problems:
        raise GuideError("guide sources", "; ".join(problems))
    return catalogue


def source_problems_of(catalogue: GuideCatalogue) -> list[str]:
    """Sources of the guide's own files that cite no reference or an unknown one."""
    from isocourse.knowledge.loader import load_knowledge
    from isocourse.knowledge.references import source_problems

    references = load_knowledge().references
    texts = {f"sources.toml {name}": text for name, text in catalogue.sources.items()}
    texts.update({f"facts.toml {name}": fact.source for name, fact in catalogue.facts.items()})
    return [p for where, text in texts.items() for p in source_problems(where, text, references)]


def _validate(file: Traversable, kind: Any) -> Any:
    with file.open("rb") as handle:
        raw = tomllib.load(handle)
    try:
        return TypeAdapter(kind).validate_python(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise GuideError(f"guide/{file.name}", f"{where}: {first['msg']}") from error
