"""Conditions and allergies that screening knows, each with plain words and a source."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from isocourse.assessment import Severity


@dataclass(frozen=True)
class ConditionEntry:
    """A condition or allergy code; ``alert`` is the screening code it raises, if any."""

    __pydantic_config__ = {"extra": "forbid"}
    label: str
    source: str
    alert: str | None = None
    severity_by_programme: Mapping[str, Severity] = field(default_factory=dict)


@dataclass(frozen=True)
class ConditionCatalogue:
    __pydantic_config__ = {"extra": "forbid"}
    conditions: Mapping[str, ConditionEntry]
    allergies: Mapping[str, ConditionEntry]
    # allergy codes that always contraindicate isotretinoin, whatever the product
    drug_allergies: tuple[str, ...]
    drug_allergies_source: str
