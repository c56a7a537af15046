"""The symptom catalogue: features found in a patient's words, and the rules over them.

A *feature* (``severe_headache``, ``dark_urine`` ...) is found when all the words
of one of its phrases stand, in any order, in one clause of the text, not negated.
A *synonym* variant is found the same way (on all its words, filler words included) and
adds its canonical words to the clause.
A *rule* turns the features of one entry into an alert code; rules are tried in
order, and a rule may *consume* features so that a later rule does not use them
again (dark urine with muscle pain is muscle breakdown, not hepatitis).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

_WORD = re.compile(r"[a-z][a-z']*")


@dataclass(frozen=True)
class Feature:
    __pydantic_config__ = {"extra": "forbid"}
    id: str
    label: str
    phrases: tuple[str, ...]
    source: str
    muscle: bool = False


@dataclass(frozen=True)
class SymptomRule:
    """Fires ``alert`` when every feature of ``all_of`` and one of ``any_of`` (if any) is found."""

    __pydantic_config__ = {"extra": "forbid"}
    alert: str
    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    consumes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Synonym:
    __pydantic_config__ = {"extra": "forbid"}
    canonical: str
    variants: tuple[str, ...]


@dataclass(frozen=True)
class PatientAdvice:
    """What the patient reads when a code fires, in plain words (reading age 12-14)."""

    __pydantic_config__ = {"extra": "forbid"}
    alert: str
    red_flag: bool
    words: str
    source: str


@dataclass(frozen=True)
class SymptomCatalogue:
    __pydantic_config__ = {"extra": "forbid"}
    window_days: int
    window_source: str
    negations: tuple[str, ...]
    clause_words: tuple[str, ...]
    filler_words: tuple[str, ...]
    synonyms: tuple[Synonym, ...]
    features: tuple[Feature, ...]
    rules: tuple[SymptomRule, ...]
    advice: tuple[PatientAdvice, ...]
    source: str
    unrecognised_alert: str = "SYMPTOM_UNRECOGNISED"

    def codes(self) -> frozenset[str]:
        """The values a record's ``symptoms[].code`` may take: the feature ids."""
        return frozenset(feature.id for feature in self.features)

    @cached_property
    def advice_by_alert(self) -> Mapping[str, PatientAdvice]:
        return {advice.alert: advice for advice in self.advice}

    def problems(self, knowledge: object) -> list[str]:
        alerts = getattr(knowledge, "alerts", {})
        found = []
        ids = self.codes()
        for rule in self.rules:
            if rule.alert not in alerts:
                found.append(f"rule names unknown alert {rule.alert}")
            unknown = set(rule.any_of + rule.all_of + rule.consumes) - ids
            if unknown:
                found.append(f"rule {rule.alert} names unknown features {sorted(unknown)}")
        for advice in self.advice:
            if advice.alert not in alerts:
                found.append(f"advice names unknown alert {advice.alert}")
        if self.unrecognised_alert not in alerts:
            found.append(f"unknown alert {self.unrecognised_alert}")
        found.extend(self._wording_problems())
        return found

    def _wording_problems(self) -> list[str]:
        """Variants and phrases the matcher could not read as meant."""
        negations, fillers = set(self.negations), set(self.filler_words)
        clause_words = set(self.clause_words)
        found = []
        for synonym in self.synonyms:
            for variant in synonym.variants:
                words = set(_words(variant))
                if not words - fillers:
                    found.append(f"synonym variant {variant!r} has only filler words")
                if words & negations:
                    found.append(f"synonym variant {variant!r} contains a negation")
                if words & clause_words:
                    found.append(f"synonym variant {variant!r} contains a clause word")
        for feature in self.features:
            for phrase in feature.phrases:
                words = set(_words(phrase))
                if not words - fillers - negations:
                    found.append(f"phrase {phrase!r} has no meaningful word")
                if words & clause_words:
                    found.append(f"phrase {phrase!r} contains a clause word")
        return found


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("-", " "))
