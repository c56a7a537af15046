"""Isotretinoin products: capsule strengths, excipients, dose range, food and missed-dose rules.

A product's capsule strengths and excipient allergens come from the labels it cites
(:class:`ProductLabel`), never from a separate list:

- a strength is offered when **any** current label of the product lists it (the union of
  the labels' strengths; :meth:`Product.labels_for_strength` says which label a strength
  comes from, so a plan can name it);
- the allergens are the union of every cited label's allergen-bearing excipients (a
  patient allergic to an excipient of any manufacturer's capsule is screened).

Each label is cited by its set id, version and effective date as published (DailyMed /
openFDA). What was not seen is written ``"unknown"``, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from isocourse.knowledge.model import Knowledge

FoodRule = Literal["with_food", "with_or_without_food"]
MissedDoseRule = Literal["skip", "take_when_remembered"]
Unknown = Literal["unknown"]
UNKNOWN: Unknown = "unknown"


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
class ProductLabel:
    """One published label (a structured product label) the product's data come from.

    ``id`` names the label inside the knowledge: two products that share one label
    document (Absorica and Absorica LD) cite it under the same ``id``. ``strengths_mg``
    and ``excipient_allergens`` are what this label says for this product.
    """

    __pydantic_config__ = {"extra": "forbid"}
    id: str
    labeler: str
    title: str
    set_id: str | Unknown
    version: int | Unknown
    effective_date: date | Unknown
    url: str
    strengths_mg: tuple[float, ...]
    excipients: tuple[str, ...]
    excipient_allergens: tuple[str, ...]
    source: str
    #: the date DailyMed showed as "updated" for the version read: that version's
    #: effective date is on or before it, so a record effective later is a newer label
    dailymed_updated: date | Unknown = UNKNOWN
    #: why nothing pins this label (no set id, version or date was seen); empty otherwise
    unverified: str = ""

    @property
    def set_id_known(self) -> str | None:
        return None if self.set_id == UNKNOWN else self.set_id

    @property
    def version_known(self) -> int | None:
        return None if self.version == UNKNOWN else self.version

    @property
    def effective_date_known(self) -> date | None:
        return None if self.effective_date == UNKNOWN else self.effective_date

    @property
    def dailymed_updated_known(self) -> date | None:
        return None if self.dailymed_updated == UNKNOWN else self.dailymed_updated

    def citation(self) -> str:
        """``"Teva Claravis label, set id a31f…, version unknown, effective unknown: <url>"``."""
        effective = self.effective_date
        when = effective.isoformat() if isinstance(effective, date) else UNKNOWN
        updated = self.dailymed_updated_known
        seen = f", DailyMed updated {updated.isoformat()}" if updated else ""
        caveat = f" (not verified: {self.unverified})" if self.unverified else ""
        return (
            f"{self.title} ({self.labeler}), set id {self.set_id}, version {self.version}, "
            f"effective {when}{seen}: {self.url}{caveat}"
        )


@dataclass(frozen=True)
class Product:
    __pydantic_config__ = {"extra": "forbid"}
    name: str
    family: str
    region: str
    brand_names: tuple[str, ...]
    labels: tuple[ProductLabel, ...]
    dose_low_mg_per_kg: float
    dose_high_mg_per_kg: float
    dose_max_mg_per_kg: float
    food: FoodRule
    food_text: str
    substitutable: bool
    missed_dose: MissedDoseGuidance
    source: str
    labels_note: str

    @cached_property
    def strengths_mg(self) -> tuple[float, ...]:
        """Every strength any current label lists, smallest first."""
        return tuple(sorted({mg for label in self.labels for mg in label.strengths_mg}))

    @cached_property
    def excipient_allergens(self) -> tuple[str, ...]:
        """The union of every cited label's allergen-bearing excipients (safe side)."""
        return tuple(sorted({a for label in self.labels for a in label.excipient_allergens}))

    def labels_for_strength(self, mg: float) -> tuple[ProductLabel, ...]:
        """The cited labels that list this strength."""
        return tuple(label for label in self.labels if mg in label.strengths_mg)

    @property
    def strengths_source(self) -> str:
        """Where the strengths come from: the rule and every label cited."""
        return "A strength is offered when any current label lists it. " + "; ".join(
            f"{_mg_list(label.strengths_mg)} mg: {label.citation()}" for label in self.labels
        )

    @property
    def excipients_source(self) -> str:
        """Where the allergens come from: every label cited (their union is screened)."""
        return (
            "Allergens are the union over the labels cited. "
            + "; ".join(
                f"{', '.join(label.excipient_allergens) or 'none'}: {label.citation()}"
                for label in self.labels
            )
            + f". {self.labels_note}"
        )


RxNormTermType = Literal["SCD", "SBD"]


@dataclass(frozen=True)
class RxNormDrug:
    """One RxNorm clinical drug (SCD: ingredient, strength, form) or branded drug (SBD),
    as read on the public page its ``source`` cites. ``product``: the product an SBD
    names; ``micronized``: RxNorm's "Micronized" concepts (Absorica LD's capsules)."""

    __pydantic_config__ = {"extra": "forbid"}
    code: str
    tty: RxNormTermType
    name: str
    strength_mg: float
    source: str
    product: str | None = None
    micronized: bool = False


@dataclass(frozen=True)
class IsotretinoinCodes:
    """isotretinoin in RxNorm: the ingredient code and the capsules' SCD and SBD codes.
    Only codes confirmed on a public page are listed; an order coded otherwise is still
    recognised by its name."""

    __pydantic_config__ = {"extra": "forbid"}
    ingredient: str
    ingredient_name: str
    source: str
    drugs: tuple[RxNormDrug, ...] = ()

    @cached_property
    def _by_code(self) -> Mapping[str, RxNormDrug]:
        return {drug.code: drug for drug in self.drugs}

    def names_isotretinoin(self, code: str) -> bool:
        """The code is the ingredient's or one of its listed clinical or branded drugs'."""
        return code == self.ingredient or code in self._by_code

    def drug(self, code: str) -> RxNormDrug | None:
        return self._by_code.get(code)


@dataclass(frozen=True)
class ProductCatalogue:
    __pydantic_config__ = {"extra": "forbid"}
    products: Mapping[str, Product]
    rxnorm: IsotretinoinCodes

    def labels_by_id(self) -> dict[str, list[tuple[str, ProductLabel]]]:
        """Label id → (product id, label) for every product citing it."""
        found: dict[str, list[tuple[str, ProductLabel]]] = {}
        for product_id, product in self.products.items():
            for label in product.labels:
                found.setdefault(label.id, []).append((product_id, label))
        return found

    def problems(self, knowledge: Knowledge) -> list[str]:
        """Cross-checks run at start-up by the loader."""
        found: list[str] = []
        for product_id, product in self.products.items():
            if not product.labels:
                found.append(f"products.{product_id}: cites no label")
            if not product.brand_names:
                found.append(f"products.{product_id}: no brand name to match label records by")
            for label in product.labels:
                found.extend(
                    _label_problems(f"products.{product_id}.labels.{label.id}", label, knowledge)
                )
        for label_id, cited in self.labels_by_id().items():
            documents = {_document(label) for _, label in cited}
            if len(documents) > 1:
                found.append(
                    f"label {label_id}: the products citing it disagree on its labeler, title, "
                    "set id, version, date or link"
                )
        found.extend(self._rxnorm_problems())
        set_ids: dict[str, str] = {}
        for label_id, cited in self.labels_by_id().items():
            set_id = cited[0][1].set_id_known
            if set_id is not None and set_ids.setdefault(set_id, label_id) != label_id:
                found.append(
                    f"set id {set_id} is cited as two labels: {set_ids[set_id]}, {label_id}"
                )
        return found


    def _rxnorm_problems(self) -> list[str]:
        found: list[str] = []
        codes = [self.rxnorm.ingredient, *(drug.code for drug in self.rxnorm.drugs)]
        if len(codes) != len(set(codes)) or not all(_RXCUI.match(code) for code in codes):
            found.append("rxnorm: every code is a number, listed once")
        for drug in self.rxnorm.drugs:
            where = f"rxnorm.{drug.code}"
            if (drug.tty == "SBD") != (drug.product is not None):
                found.append(f"{where}: a branded drug (SBD), and only one, names its product")
            offering = [
                product
                for product_id, product in self.products.items()
                if drug.product in (None, product_id) and drug.strength_mg in product.strengths_mg
            ]
            if not offering:
                found.append(f"{where}: no product offers {drug.strength_mg:g} mg")
        return found


_RXCUI = re.compile(r"^[1-9][0-9]{0,9}$")
_SET_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _document(label: ProductLabel) -> tuple[object, ...]:
    return (
        label.labeler,
        label.title,
        label.set_id,
        label.version,
        label.effective_date,
        label.dailymed_updated,
        label.url,
        label.unverified,
    )


def _label_problems(where: str, label: ProductLabel, knowledge: Knowledge) -> list[str]:
    found: list[str] = []
    pinned = (
        label.set_id_known,
        label.version_known,
        label.effective_date_known,
        label.dailymed_updated_known,
    )
    if all(value is None for value in pinned) and not label.unverified.strip():
        found.append(
            f"{where}: cite the set id, the version, the effective date or the DailyMed date "
            "(or say in 'unverified' why none was seen)"
        )
    if label.set_id_known is not None and not _SET_ID.match(label.set_id_known):
        found.append(f"{where}: set id {label.set_id!r} is not a lower-case UUID")
    if not label.url.startswith("https://"):
        found.append(f"{where}: the link must be a public https:// address")
    if not label.strengths_mg or any(not mg > 0 for mg in label.strengths_mg):
        found.append(f"{where}: strengths must be listed and above 0 mg")
    allergies = knowledge.conditions.allergies
    unknown = [a for a in label.excipient_allergens if a not in allergies]
    if unknown:
        found.append(f"{where}: unknown allergen {', '.join(unknown)}")
    carried = set(knowledge.conditions.allergens_in(label.excipients))
    if carried != set(label.excipient_allergens):
        found.append(
            f"{where}: the excipients listed carry {sorted(carried)} but the label entry "
            f"gives {sorted(label.excipient_allergens)}"
        )
    return found


def _mg_list(strengths: tuple[float, ...]) -> str:
    return ", ".join(f"{mg:g}" for mg in strengths)
