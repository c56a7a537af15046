"""Isotretinoin products: capsule strengths, excipients, dose range, food and missed-dose rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

FoodRule = Literal["with_food", "with_or_without_food"]
MissedDoseRule = Literal["skip", "take_when_remembered"]


@dataclass(frozen=True)
class MissedDoseGuidance:
    """What a patient does about a missed dose, per programme, with a default."""

    __pydantic_config__ = {"extra": "forbid"}
    by_programme: Mapping[str, MissedDoseRule]
    default: MissedDoseRule
    source: str

    def rule_for(self, programme: str) -> MissedDoseRule:
        return self.by_programme.get(programme, self.default)


@dataclass(frozen=True)
class Product:
    __pydantic_config__ = {"extra": "forbid"}
    name: str
    family: str
    region: str
    strengths_mg: tuple[float, ...]
    excipient_allergens: tuple[str, ...]
    dose_low_mg_per_kg: float
    dose_high_mg_per_kg: float
    dose_max_mg_per_kg: float
    food: FoodRule
    food_text: str
    substitutable: bool
    missed_dose: MissedDoseGuidance
    source: str
    strengths_source: str
    excipients_source: str


@dataclass(frozen=True)
class ProductCatalogue:
    __pydantic_config__ = {"extra": "forbid"}
    products: Mapping[str, Product]
