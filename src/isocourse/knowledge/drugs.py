"""Knowledge types for interacting drugs: classes, generic and brand names, severities.

A medication is written as a person would write it ("Solodyn 105 mg ER", "doxycycline
hyclate 100mg", "St. John's Wort 300mg"). :func:`normalise_medication` maps such text to
an ingredient and, when it interacts with isotretinoin, its class::

    match = normalise_medication("Solodyn 105 mg ER", knowledge.drugs)
    match.ingredient, match.drug_class.name          # ("minocycline", "tetracycline")

How text is read: case, accents and apostrophes are folded, the text is split into
words, and words that carry no identity are set aside — strengths and other words
starting with a digit, units, salts, release forms (``noise_words``), and dose-form
words that say how it is taken (``oral_words``, ``topical_words``). Then the longest
known name (generic, synonym or brand, read the same way) found as consecutive words
wins; a name of an interacting class beats a known non-interacting one.

Route: a class marked ``systemic_only`` does not match text that names a topical form
("hydrocortisone cream"), and an ingredient marked ``oral_form_required`` matches by its
generic name only with an oral form word ("tretinoin capsule"; a brand such as Vesanoid
matches alone). Such text gets no match (None): a clinician checks it by hand and records
a review, which is safer than guessing either way. The index is built once per catalogue
and names already seen are remembered, because a registry re-assesses the same names
every day.

Name stem: a class with a ``name_stem`` (the tetracyclines: ``cycline``) claims every
entry with a word that contains the stem, in any case and anywhere in the word
("Tetracyclinex", "XYZcycline 100mg", "doxy-cycline"), whatever else the entry names and
whatever form it names: "doxycycline gel" is the tetracycline class too, never an
unrecognised name. A brand or generic of the class found in the text gives the
ingredient; otherwise the ingredient is the word as written (folded). The stem beats the
topical rule on purpose: a name with the stem is a tetracycline, and a tetracycline
blocks until it has ended, whereas an unrecognised name could be cleared by a review.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from isocourse.assessment import Severity

if TYPE_CHECKING:
    from isocourse.knowledge.model import Knowledge

_WORD = re.compile(r"[a-z0-9]+")
_MEMO_LIMIT = 65_536


@dataclass(frozen=True)
class Ingredient:
    """A generic ingredient with its other spellings and its brand names."""

    __pydantic_config__ = {"extra": "forbid"}
    name: str
    synonyms: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    oral_form_required: bool = False
    #: RxNorm codes (ingredient, clinical or branded drug) confirmed for it; see
    #: ``DrugCatalogue.rxnorm_source``
    rxnorm: tuple[str, ...] = ()


@dataclass(frozen=True)
class DrugClass:
    """A class of drugs that interacts with isotretinoin, and the alert it raises."""

    __pydantic_config__ = {"extra": "forbid"}
    name: str
    label: str
    alert: str
    ingredients: tuple[Ingredient, ...]
    source: str
    brands_source: str
    systemic_only: bool = True
    also_on_prescription_day: bool = False
    # a word containing this stem (case folded) names the class, whatever the rest says
    name_stem: str | None = None
    severity_by_programme: Mapping[str, Severity] = field(default_factory=dict)
    # severity when the contraception that qualifies depends on hormonal methods
    hormonal_contraception_severity: Severity | None = None


@dataclass(frozen=True)
class NameWords:
    """Words of a medication entry that do not name the drug."""

    __pydantic_config__ = {"extra": "forbid"}
    noise_words: tuple[str, ...]
    oral_words: tuple[str, ...]
    topical_words: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class DrugMatch:
    """What a medication name means: its ingredient and, if it interacts, its class."""

    ingredient: str
    drug_class: DrugClass | None


@dataclass(frozen=True)
class _Name:
    match: DrugMatch
    needs_oral_word: bool


@dataclass(frozen=True)
class MedicationWords:
    """A medication entry read: its identifying words and the forms it names; ``every``
    holds all its words (strengths and form words included), for the name-stem check."""

    words: tuple[str, ...]
    oral: bool
    topical: bool
    every: tuple[str, ...] = ()


@dataclass(frozen=True)
class DrugCatalogue:
    __pydantic_config__ = {"extra": "forbid"}
    classes: tuple[DrugClass, ...]
    no_interaction: tuple[Ingredient, ...]
    no_interaction_source: str
    hormonal_contraception: tuple[str, ...]
    hormonal_contraception_source: str
    names: NameWords
    rxnorm_source: str = ""

    @cached_property
    def _by_rxnorm(self) -> Mapping[str, DrugMatch]:
        found: dict[str, DrugMatch] = {}
        for drug_class in self.classes:
            for ingredient in drug_class.ingredients:
                match = DrugMatch(ingredient.name, drug_class)
                found.update(dict.fromkeys(ingredient.rxnorm, match))
        for ingredient in self.no_interaction:
            found.update(dict.fromkeys(ingredient.rxnorm, DrugMatch(ingredient.name, None)))
        return found

    def by_rxnorm(self, code: str) -> DrugMatch | None:
        """The ingredient (and interacting class) an RxNorm code stands for, if known."""
        return self._by_rxnorm.get(code.strip())

    def match_coded(self, codes: tuple[str, ...], text: str) -> DrugMatch | None:
        """A medication as an EHR sends it: by its RxNorm codes first, then by its name."""
        for code in codes:
            found = self.by_rxnorm(code)
            if found is not None:
                return found
        return self.normalise(text)

    @cached_property
    def _word_sets(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        words = self.names
        return (
            frozenset(w.casefold() for w in words.noise_words),
            frozenset(w.casefold() for w in words.oral_words),
            frozenset(w.casefold() for w in words.topical_words),
        )

    def read(self, text: str) -> MedicationWords:
        """The identifying words of ``text`` and whether it names an oral or topical form."""
        noise, oral, topical = self._word_sets
        kept: list[str] = []
        is_oral = is_topical = False
        every = tuple(_WORD.findall(_fold(text)))
        for word in every:
            if word[0].isdigit() or word in noise:
                continue
            is_oral = is_oral or word in oral
            is_topical = is_topical or word in topical
            if word not in oral and word not in topical:
                kept.append(word)
        return MedicationWords(tuple(kept), is_oral, is_topical, every)

    @cached_property
    def _index(self) -> Mapping[tuple[str, ...], list[_Name]]:
        """Every known name, read as words → what it means. Built once per catalogue."""
        index: dict[tuple[str, ...], list[_Name]] = {}
        for drug_class in self.classes:
            for ingredient in drug_class.ingredients:
                self._add(index, ingredient, drug_class)
        for ingredient in self.no_interaction:
            self._add(index, ingredient, None)
        return index

    def _add(
        self,
        index: dict[tuple[str, ...], list[_Name]],
        ingredient: Ingredient,
        drug_class: DrugClass | None,
    ) -> None:
        match = DrugMatch(ingredient.name, drug_class)
        generic = (ingredient.name, *ingredient.synonyms)
        for spelling in (*generic, *ingredient.brands):
            needs_oral = ingredient.oral_form_required and spelling in generic
            key = self.read(spelling).words
            index.setdefault(key, []).append(_Name(match, needs_oral))

    @cached_property
    def _longest(self) -> int:
        return max((len(key) for key in self._index), default=0)

    @cached_property
    def _memo(self) -> dict[str, DrugMatch | None]:
        return {}

    def normalise(self, text: str) -> DrugMatch | None:
        """The ingredient (and interacting class) ``text`` names, or None if unknown."""
        memo = self._memo
        if text in memo:
            return memo[text]
        found = self._look_up(self.read(text))
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[text] = found
        return found

    def _look_up(self, name: MedicationWords) -> DrugMatch | None:
        candidates = self._candidates(name.words)
        stemmed = self._by_stem(name.every, candidates)
        if stemmed is not None:
            return stemmed
        interacting = [c for c in candidates if c.match.drug_class is not None]
        if interacting:
            chosen = interacting[0]
            drug_class = chosen.match.drug_class
            assert drug_class is not None
            if drug_class.systemic_only and name.topical:
                return None
            if chosen.needs_oral_word and not name.oral:
                return None
            return chosen.match
        return candidates[0].match if candidates else None

    @cached_property
    def _stems(self) -> tuple[tuple[str, DrugClass], ...]:
        return tuple(
            (_fold(drug_class.name_stem), drug_class)
            for drug_class in self.classes
            if drug_class.name_stem
        )

    def _by_stem(self, words: tuple[str, ...], candidates: list[_Name]) -> DrugMatch | None:
        """The class whose name stem one of the words contains, if any (topical or not)."""
        for stem, drug_class in self._stems:
            stemmed = [word for word in words if stem in word]
            if not stemmed:
                continue
            for candidate in candidates:
                if candidate.match.drug_class is drug_class:
                    return candidate.match
            named = re.search(rf"[a-z]*{re.escape(stem)}[a-z]*", stemmed[0])
            return DrugMatch(named.group(0) if named else stemmed[0], drug_class)
        return None

    def _candidates(self, words: tuple[str, ...]) -> list[_Name]:
        """Known names found as consecutive words, longest first, then left to right."""
        found: list[_Name] = []
        for size in range(min(self._longest, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                found.extend(self._index.get(words[start : start + size], ()))
        return found

    def by_name(self, name: str) -> DrugClass:
        """The class with this name (KeyError if the catalogue has none)."""
        for drug_class in self.classes:
            if drug_class.name == name:
                return drug_class
        raise KeyError(name)

    def problems(self, knowledge: Knowledge) -> list[str]:
        """Cross-checks run at start-up by the loader."""
        # programme ids in severity_by_programme: checked with the programmes
        found: list[str] = []
        for drug_class in self.classes:
            if drug_class.alert not in knowledge.alerts:
                found.append(f"classes.{drug_class.name}: unknown alert {drug_class.alert}")
            if drug_class.name_stem is not None and not _WORD.fullmatch(
                _fold(drug_class.name_stem)
            ):
                found.append(f"classes.{drug_class.name}: name_stem must be one plain word")
        for key, names in self._index.items():
            if not key:
                found.append("a drug name has no identifying word once strengths are removed")
            meanings = {(n.match.ingredient, _class_name(n.match)) for n in names}
            if len(meanings) > 1:
                found.append(f"name {' '.join(key)!r} means several drugs: {sorted(meanings)}")
        if "DRUG_UNRECOGNISED" not in knowledge.alerts:
            found.append("alert DRUG_UNRECOGNISED is not in the alert catalogue")
        return found


def normalise_medication(name: str, catalogue: DrugCatalogue) -> DrugMatch | None:
    """Map free text ("Solodyn 105 mg ER") to its ingredient and class; None if unknown.

    ``DrugMatch.drug_class`` is None for a known medicine with no interaction.
    Never raises on any text.
    """
    return catalogue.normalise(name)


def _class_name(match: DrugMatch) -> str:
    return match.drug_class.name if match.drug_class is not None else ""


def _fold(text: str) -> str:
    """Lower case without accents; apostrophes dropped so "John's" reads "johns"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("'", "").replace("’", "").replace("`", "")
