"""Symptoms: the patient's own words (or a catalogue code) turned into alerts.

Matching: the text is split into clauses (at , . ; : ! ? and the words "and", "but"); a
negation covers the rest of its clause. Synonyms and catalogue phrases are matched the
same way: all the words of one variant or phrase stand, as word stems and in any order,
in one clause, before any negation in it. A synonym variant is matched on all its words,
filler words included ("end it all" needs end, it and all in one clause, never "end"
alone); a matched variant adds its canonical words to the clause, and catalogue phrases,
whose filler words are left out, are then matched against the clause's words. Phrases
that themselves contain a negation ("no interest") are matched first, as a sequence of
word stems in their written order (filler words between them allowed), and taken out of
the clause. The catalogue's rules then turn the features of one entry into alert codes.
A diary entry whose text matches nothing raises ``SYMPTOM_UNRECOGNISED``, which blocks
until a clinician has reviewed that exact text (:mod:`isocourse.rules.reviews`).
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
from isocourse.rules.reviews import is_reviewed

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


def words_of(text: str) -> list[str]:
    """The words of ``text`` as matching reads them: lower case, hyphens as spaces,
    surrounding quotes dropped ("'self-harm'" reads self, harm)."""
    found = (word.strip("'") for word in _WORD.findall(_normal(text)))
    return [word for word in found if word]


@dataclass(frozen=True)
class _Phrase:
    feature: str
    stems: frozenset[str]


@dataclass(frozen=True)
class _NegatedPhrase:
    feature: str
    stems: tuple[str, ...]


@dataclass(frozen=True)
class _Variant:
    """A synonym variant: every word's stem (fillers too) and the canonical stems it adds."""

    stems: frozenset[str]
    canonical: frozenset[str]


class SymptomMatcher:
    """The catalogue compiled once: synonym variants, phrase stems, negations."""

    def __init__(self, catalogue: SymptomCatalogue) -> None:
        self.catalogue = catalogue
        self.negations = frozenset(catalogue.negations)
        self.clause_words = frozenset(catalogue.clause_words)
        self.fillers = frozenset(catalogue.filler_words)
        self.variants = tuple(
            _Variant(
                frozenset(stem(word) for word in words_of(variant)),
                self._meaningful(synonym.canonical),
            )
            for synonym in catalogue.synonyms
            for variant in synonym.variants
        )
        self.phrases, self.negated_phrases = self._phrases(catalogue)

    def _meaningful(self, text: str) -> frozenset[str]:
        return frozenset(stem(word) for word in words_of(text) if word not in self.fillers)

    def _phrases(self, catalogue: SymptomCatalogue) -> tuple[list[_Phrase], list[_NegatedPhrase]]:
        plain: list[_Phrase] = []
        negated: list[_NegatedPhrase] = []
        for feature in catalogue.features:
            for phrase in feature.phrases:
                words = words_of(phrase)
                if any(word in self.negations for word in words):
                    kept = tuple(stem(word) for word in words if word not in self.fillers)
                    negated.append(_NegatedPhrase(feature.id, kept))
                else:
                    plain.append(_Phrase(feature.id, self._meaningful(phrase)))
        return plain, negated

    def features(self, text: str) -> frozenset[str]:
        """The catalogue features the text describes (negated ones left out)."""
        found: set[str] = set()
        for clause in self._clauses(text):
            found |= self._clause_features(clause)
        return frozenset(found)

    def _clauses(self, text: str) -> Iterable[list[str]]:
        for part in _CLAUSE_PUNCTUATION.split(_normal(text)):
            clause: list[str] = []
            for word in words_of(part):
                if word in self.clause_words:
                    yield clause
                    clause = []
                else:
                    clause.append(word)
            yield clause

    def _clause_features(self, words: list[str]) -> set[str]:
        found, words = self._negated_phrase_features(words)
        meaningful: set[str] = set()  # stems of the words before any negation, no fillers
        every: set[str] = set()  # the same with filler words: what variants are matched on
        for word in words:
            if word in self.negations:
                break
            every.add(stem(word))
            if word not in self.fillers:
                meaningful.add(stem(word))
        added = [variant.canonical for variant in self.variants if variant.stems <= every]
        meaningful.update(*added)
        found |= {p.feature for p in self.phrases if p.stems and p.stems <= meaningful}
        return found

    def _negated_phrase_features(self, words: list[str]) -> tuple[set[str], list[str]]:
        """Match "no interest"-style phrases first, and take their words out.

        A phrase matches when its words' stems follow one another in its written order
        among the clause's non-filler words ("no interests", "no interest in anything");
        another word between them ("no real interest") breaks it."""
        found: set[str] = set()
        for phrase in self.negated_phrases:
            kept = [(i, stem(w)) for i, w in enumerate(words) if w not in self.fillers]
            size = len(phrase.stems)
            for start in range(len(kept) - size + 1):
                window = kept[start : start + size]
                if tuple(s for _, s in window) == phrase.stems:
                    found.add(phrase.feature)
                    taken = {i for i, _ in window}
                    words = [w for i, w in enumerate(words) if i not in taken]
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


def review_key(entry: Symptom) -> str:
    """The text a clinician's review must repeat to clear this entry: its text, or, for an
    entry recorded by catalogue code alone, that code."""
    return entry.text if entry.text is not None else str(entry.code)


def unreviewed_symptoms(record: CourseRecord, knowledge: Knowledge, as_of: date) -> list[Symptom]:
    """Entries in the window whose words match nothing and that no clinician has reviewed
    yet (``reviews[]`` of kind ``symptom``, the same text, dated on or after the entry):
    each one blocks (``SYMPTOM_UNRECOGNISED``). Oldest first."""
    catalogue = knowledge.symptoms
    return sorted(
        (
            entry
            for entry in recent_entries(record, knowledge, as_of)
            if entry_codes(entry, catalogue) == [catalogue.unrecognised_alert]
            and not is_reviewed(record, "symptom", review_key(entry), entry.date, as_of)
        ),
        key=lambda entry: entry.date,
    )


def assess_symptoms(record: CourseRecord, knowledge: Knowledge, as_of: date) -> Findings:
    unrecognised = knowledge.symptoms.unrecognised_alert
    latest_by_code: dict[str, Symptom] = {}
    for entry in sorted(recent_entries(record, knowledge, as_of), key=lambda s: s.date):
        for code in entry_codes(entry, knowledge.symptoms):
            if code != unrecognised:
                latest_by_code[code] = entry
    alerts = [_alert(knowledge, code, entry) for code, entry in latest_by_code.items()]
    unreviewed = unreviewed_symptoms(record, knowledge, as_of)
    if unreviewed:
        alerts.append(_unrecognised_alert(knowledge, unreviewed))
    return Findings(alerts=tuple(alerts))


def _unrecognised_alert(knowledge: Knowledge, entries: list[Symptom]) -> Alert:
    """One alert naming every entry still to be reviewed, newest first."""
    newest = entries[-1]
    listed = "; ".join(
        dict.fromkeys(
            f"on {entry.date.isoformat()}: “{_words(knowledge, entry)}”"
            for entry in reversed(entries)
        )
    )
    texts = "; ".join(dict.fromkeys(f"“{_words(knowledge, e)}”" for e in reversed(entries)))
    return raise_alert(
        knowledge,
        knowledge.symptoms.unrecognised_alert,
        reported_on=newest.date,
        subject=texts,
        date=newest.date.isoformat(),
        text=_words(knowledge, newest),
        entries=listed,
    )


def _words(knowledge: Knowledge, entry: Symptom) -> str:
    return entry.text if entry.text is not None else _feature_label(knowledge, entry.code)


def _alert(knowledge: Knowledge, code: str, entry: Symptom) -> Alert:
    return raise_alert(
        knowledge,
        code,
        reported_on=entry.date,
        date=entry.date.isoformat(),
        text=_words(knowledge, entry),
    )


def _feature_label(knowledge: Knowledge, code: str | None) -> str:
    for feature in knowledge.symptoms.features:
        if feature.id == code:
            return feature.label
    return str(code)
