"""Conditions and allergies that screening knows, each with plain words and a source.

An allergy code that an excipient can carry lists ``excipient_terms``: the words that
name it in a label's ingredient list (``soybean``, ``methylparaben``). The same words
decide which allergens a product label's excipients carry (the loader checks the
products' data with them) and what ``isocourse knowledge check`` finds in a label record.

A :class:`CrossReaction` is an allergy that contraindicates a product because of an
excipient it does not name: the EU and UK summaries of product characteristics
contraindicate isotretinoin in peanut allergy because its capsules contain soya oil.
It applies under the programmes it lists (the region whose label says so).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from isocourse.assessment import Severity

if TYPE_CHECKING:
    from isocourse.knowledge.model import Knowledge


@dataclass(frozen=True)
class ConditionEntry:
    """A condition or allergy code; ``alert`` is the screening code it raises, if any."""

    __pydantic_config__ = {"extra": "forbid"}
    label: str
    source: str
    alert: str | None = None
    severity_by_programme: Mapping[str, Severity] = field(default_factory=dict)
    excipient_terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class CrossReaction:
    """``allergy`` contraindicates a product containing ``excipient_allergen``."""

    __pydantic_config__ = {"extra": "forbid"}
    allergy: str
    excipient_allergen: str
    programmes: tuple[str, ...]  # programme ids (programmes.toml) or none
    #: for the clinician's alert: why the allergy contraindicates the product
    reason: str
    #: for the patient's guide, after "do not take it if you are allergic to <allergy>:"
    patient_words: str
    source: str


@dataclass(frozen=True)
class ConditionCatalogue:
    __pydantic_config__ = {"extra": "forbid"}
    conditions: Mapping[str, ConditionEntry]
    allergies: Mapping[str, ConditionEntry]
    # allergy codes that always contraindicate isotretinoin, whatever the product
    drug_allergies: tuple[str, ...]
    drug_allergies_source: str
    cross_reactions: tuple[CrossReaction, ...] = ()

    def cross_reactions_for(
        self, excipient_allergens: Iterable[str], programme: str
    ) -> tuple[CrossReaction, ...]:
        """The cross-reactions that apply to a product with these allergens, here."""
        carried = set(excipient_allergens)
        return tuple(
            reaction
            for reaction in self.cross_reactions
            if reaction.excipient_allergen in carried and programme in reaction.programmes
        )

    def problems(self, knowledge: Knowledge) -> list[str]:
        """Cross-checks run at start-up by the loader."""
        found: list[str] = []
        for index, reaction in enumerate(self.cross_reactions):
            for code in (reaction.allergy, reaction.excipient_allergen):
                if code not in self.allergies:
                    found.append(f"cross_reactions[{index}]: unknown allergy code {code!r}")
        used = {a for p in knowledge.products.products.values() for a in p.excipient_allergens}
        for code in sorted(used):
            if code in self.allergies and not self.allergies[code].excipient_terms:
                found.append(
                    f"allergies.{code}: a product carries it but it has no excipient_terms"
                )
        return found

    def allergens_in(self, texts: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Allergy code → the excipient words found for it in ``texts`` (case-insensitive).

        A term matches at the start of a word and takes the rest of the word with it:
        ``soy`` finds ``SOYBEAN``, ``SOYA`` and ``SOYBEANS`` but nothing inside another
        word; a term ending in a digit must end there (``Yellow No. 5`` is not
        ``Yellow No. 50``). The words found are returned upper-case, each once, in the
        order they appear.
        """
        found: dict[str, tuple[str, ...]] = {}
        joined = "\n".join(texts)
        for code, entry in self.allergies.items():
            words: dict[str, None] = {}
            for term in entry.excipient_terms:
                for match in _term_pattern(term).finditer(joined):
                    words[match.group(0).upper()] = None
            if words:
                found[code] = tuple(words)
        return found


@cache
def _term_pattern(term: str) -> re.Pattern[str]:
    ending = r"(?!\d)" if term[-1].isdigit() else r"\w*"
    return re.compile(rf"(?<!\w){re.escape(term)}{ending}", re.IGNORECASE)
