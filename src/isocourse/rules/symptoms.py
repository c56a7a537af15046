"""Symptoms: the patient's own words (or a catalogue code) turned into alerts.

Matching (rules.md "Symptoms"): synonyms are rewritten first (longest first), the
text is split into clauses (at , . ; : ! ? and the words "and", "but"), a negation
covers the rest of its clause, and a feature is found when all the words of one of
its phrases stand, as word stems and in any order, in one clause. Phrases that
themselves contain a negation ("no interest") are matched first. The catalogue's
rules then turn the features of one entry into alert codes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from isocourse.assessment import Alert, Findings
from isocourse.knowledge.model import Knowledge
from isocourse.knowledge.symptoms import SymptomCatalogue
from isocourse.record import CourseRecord, Symptom
from isocourse.rules.alerting import raise_alert
from isocourse.rules.course_facts import within_days_up_to

_CLAUSE_PUNCTUATION = re.compile(r"[,.;:!?\n()]+")
_WORD = re.compile(r"[a-z][a-z']*")


def stem(word: str) -> str:
    """A small, explicit stemmer: enough to meet plurals and -ing/-ed forms."""
    word = word.strip("'")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass(frozen=True)
class _Phrase:
    feature: str
    stems: frozenset[str]
    negated_words: tuple[str, ...] = ()


class SymptomMatcher:
    """The catalogue compiled once: synonym rewriting, phrase stems, negations."""

    def __init__(self, catalogue: SymptomCatalogue) -> None:
        self.catalogue = catalogue
        self.negations = frozenset(catalogue.negations)
        self.clause_words = frozenset(catalogue.clause_words)
        self.fillers = frozenset(catalogue.filler_words)
        variants = {v.lower(): s.canonical for s in catalogue.synonyms for v in s.variants}
        ordered = sorted(variants, key=len, reverse=True)
        self.rewrite = re.compile(
            r"(?<![\w'])(" + "|".join(re.escape(v) for v in ordered) + r")(?![\w'])"
        )
        self.variants = variants
        self.phrases, self.negated_phrases = self._phrases(catalogue)

    def _phrases(self, catalogue: SymptomCatalogue) -> tuple[list[_Phrase], list[_Phrase]]:
        plain, negated = [], []
        for feature in catalogue.features:
            for phrase in feature.phrases:
                words = _WORD.findall(phrase.lower())
                if any(word in self.negations for word in words):
                    negated.append(_Phrase(feature.id, frozenset(), tuple(words)))
                else:
                    stems = frozenset(stem(w) for w in words if w not in self.fillers)
                    plain.append(_Phrase(feature.id, stems))
        return plain, negated

    def features(self, text: str) -> frozenset[str]:
        """The catalogue features the text describes (negated ones left out)."""
        rewritten = self.rewrite.sub(lambda m: self.variants[m.group(1)], _normal(text))
        found: set[str] = set()
        for clause in self._clauses(rewritten):
            found |= self._clause_features(clause)
        return frozenset(found)

    def _clauses(self, text: str) -> Iterable[list[str]]:
        for part in _CLAUSE_PUNCTUATION.split(text):
            clause: list[str] = []
            for word in _WORD.findall(part):
                if word in self.clause_words:
                    yield clause
                    clause = []
                else:
                    clause.append(word)
            yield clause

    def _clause_features(self, words: list[str]) -> set[str]:
        found, words = self._negated_phrase_features(words)
        negated = False
        stems = set()
        for word in words:
            if word in self.negations:
                negated = True
            elif not negated and word not in self.fillers:
                stems.add(stem(word))
        found |= {p.feature for p in self.phrases if p.stems and p.stems <= stems}
        return found

    def _negated_phrase_features(self, words: list[str]) -> tuple[set[str], list[str]]:
        """Match "no interest"-style phrases first, and take their words out."""
        found = set()
        for phrase in self.negated_phrases:
            size = len(phrase.negated_words)
            for start in range(len(words) - size + 1):
                if tuple(words[start : start + size]) == phrase.negated_words:
                    found.add(phrase.feature)
                    words = words[:start] + words[start + size :]
                    break
        return found, words

    def alerts_for(self, features: frozenset[str]) -> list[str]:
        """Apply the catalogue's rules, in order, to one entry's features."""
        available = set(features)
        codes = []
        for rule in self.catalogue.rules:
            needs_all = set(rule.all_of) <= available
            needs_any = not rule.any_of or bool(set(rule.any_of) & available)
            if needs_all and needs_any and (rule.all_of or rule.any_of):
                codes.append(rule.alert)
                available -= set(rule.consumes)
        return codes


_MATCHERS: dict[int, tuple[SymptomCatalogue, SymptomMatcher]] = {}


def matcher_for(catalogue: SymptomCatalogue) -> SymptomMatcher:
    """The compiled matcher of this catalogue, built once."""
    kept = _MATCHERS.get(id(catalogue))
    if kept is None or kept[0] is not catalogue:
        kept = (catalogue, SymptomMatcher(catalogue))
        _MATCHERS[id(catalogue)] = kept
    return kept[1]


def _normal(text: str) -> str:
    return text.lower().replace("\u2019", "'").replace("-", " ")


def match_symptom_text(text: str, catalogue: SymptomCatalogue) -> frozenset[str]:
    """The alert codes the text fires (empty: nothing recognised)."""
    matcher = matcher_for(catalogue)
    return frozenset(matcher.alerts_for(matcher.features(text)))


def entry_codes(entry: Symptom, catalogue: SymptomCatalogue) -> list[str]:
    """The alert codes one diary entry fires, ``SYMPTOM_UNRECOGNISED`` when none."""
    matcher = matcher_for(catalogue)
    features = set() if entry.text is None else set(matcher.features(entry.text))
    if entry.code is not None:
        features.add(entry.code)
    codes = matcher.alerts_for(frozenset(features))
    return codes or [catalogue.unrecognised_alert]


def recent_entries(record: CourseRecord, knowledge: Knowledge, as_of: date) -> list[Symptom]:
    catalogue = knowledge.symptoms
    dated = [s for s in record.symptoms if s.date <= as_of]
    return within_days_up_to(dated, catalogue.window_days, as_of)


def recent_symptom_codes(record: CourseRecord, knowledge: Knowledge, as_of: date) -> frozenset[str]:
    """The codes fired by entries dated in the window up to ``as_of``."""
    catalogue = knowledge.symptoms
    return frozenset(
        code
        for entry in recent_entries(record, knowledge, as_of)
        for code in entry_codes(entry, catalogue)
    )


def has_muscle_symptom(record: CourseRecord, knowledge: Knowledge, as_of: date) -> bool:
    """A muscle pain or weakness mention in the window (LAB_CK_HIGH becomes urgent)."""
    catalogue = knowledge.symptoms
    muscle = {feature.id for feature in catalogue.features if feature.muscle}
    matcher = matcher_for(catalogue)
    for entry in recent_entries(record, knowledge, as_of):
        found = set() if entry.text is None else set(matcher.features(entry.text))
        if entry.code is not None:
            found.add(entry.code)
        if found & muscle:
            return True
    return False


def assess_symptoms(record: CourseRecord, knowledge: Knowledge, as_of: date) -> Findings:
    latest_by_code: dict[str, Symptom] = {}
    for entry in sorted(recent_entries(record, knowledge, as_of), key=lambda s: s.date):
        for code in entry_codes(entry, knowledge.symptoms):
            latest_by_code[code] = entry
    alerts = [_alert(knowledge, code, entry) for code, entry in latest_by_code.items()]
    return Findings(alerts=tuple(alerts))


def _alert(knowledge: Knowledge, code: str, entry: Symptom) -> Alert:
    words = entry.text if entry.text is not None else _feature_label(knowledge, entry.code)
    return raise_alert(
        knowledge, code, reported_on=entry.date, date=entry.date.isoformat(), text=words
    )


def _feature_label(knowledge: Knowledge, code: str | None) -> str:
    for feature in knowledge.symptoms.features:
        if feature.id == code:
            return feature.label
    return str(code)
