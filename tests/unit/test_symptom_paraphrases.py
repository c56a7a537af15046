"""Paraphrases of every red-flag phrase still fire their alert; negated forms do not.

A red-flag phrase is every phrase of every feature that a rule with red-flag patient
advice reads, and every synonym variant that can stand for words of such a phrase. For
each one, Hypothesis writes the words in another order (within the clause), with the
inflections the stemmer is meant to meet (-s, -ing, -ed where the stem stays the same),
punctuation that does not end a clause (quotes, hyphens between words, extra spaces, a
trailing "!" or "."), any case, and filler words put in. The rule's other features, where
it needs some (a severe headache with nausea), stand in further clauses of the same entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from isocourse.knowledge.loader import load_knowledge
from isocourse.rules.symptoms import match_symptom_text, stem, words_of

CATALOGUE = load_knowledge().symptoms
FEATURES = {feature.id: feature for feature in CATALOGUE.features}
NEGATIONS = frozenset(CATALOGUE.negations)
FILLERS = frozenset(CATALOGUE.filler_words)
CLAUSE_WORDS = frozenset(CATALOGUE.clause_words)
RED_FLAGS = frozenset(advice.alert for advice in CATALOGUE.advice if advice.red_flag)
NEGATED_PHRASES = [
    tuple(stem(w) for w in words_of(phrase) if w not in FILLERS)
    for feature in CATALOGUE.features
    for phrase in feature.phrases
    if NEGATIONS & set(words_of(phrase))
]
NEGATED_FORMS = ["no", "not", "never", "I don't have", "denies", "without", "I never had"]


@dataclass(frozen=True)
class Case:
    """One red-flag phrase (or a synonym variant inside it) and the alert it must fire."""

    alert: str
    feature: str
    words: tuple[str, ...]  # the phrase as written, a variant standing for some of its words
    others: tuple[str, ...]  # phrases of the rule's other features, each a clause of its own

    @property
    def negated_phrase(self) -> bool:
        return bool(NEGATIONS & set(self.words))

    def __str__(self) -> str:
        return f"{self.alert}:{' '.join(self.words)}"


def _occurrences(words: list[str], part: list[str]) -> Iterator[int]:
    for start in range(len(words) - len(part) + 1):
        if words[start : start + len(part)] == part:
            yield start


def _with_variants(phrase: str) -> Iterator[tuple[str, ...]]:
    """The phrase, and the phrase with each synonym variant standing for its canonical words."""
    words = words_of(phrase)
    yield tuple(words)
    for synonym in CATALOGUE.synonyms:
        canonical = words_of(synonym.canonical)
        for start in _occurrences(words, canonical):
            for variant in synonym.variants:
                yield (*words[:start], *words_of(variant), *words[start + len(canonical) :])


def _others(rule_all: tuple[str, ...], rule_any: tuple[str, ...], feature: str) -> tuple[str, ...]:
    needed = [f for f in rule_all if f != feature]
    if rule_any and feature not in rule_any:
        needed.append(rule_any[0])
    return tuple(FEATURES[f].phrases[0] for f in needed)


def _cases() -> list[Case]:
    cases: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Case] = {}
    for rule in CATALOGUE.rules:
        if rule.alert not in RED_FLAGS:
            continue
        for feature in dict.fromkeys((*rule.all_of, *rule.any_of)):
            others = _others(rule.all_of, rule.any_of, feature)
            for phrase in FEATURES[feature].phrases:
                for words in _with_variants(phrase):
                    cases.setdefault(
                        (rule.alert, words, others), Case(rule.alert, feature, words, others)
                    )
    return list(cases.values())


CASES = _cases()


def _inflections(word: str) -> list[str]:
    """Forms of ``word`` the stemmer reads as ``word``, keeping what kind of word it is."""
    forms = [word, word + "s", word + "ing", word + "ed"]
    if word.endswith("e"):
        forms += [word[:-1] + "ing", word + "d"]
    kind = (word in FILLERS, word in NEGATIONS)
    return [
        form
        for form in dict.fromkeys(forms)
        if stem(form) == stem(word)
        and (form in FILLERS, form in NEGATIONS) == kind
        and form not in CLAUSE_WORDS
    ]


@st.composite
def paraphrase(draw: st.DrawFn, words: tuple[str, ...], *, keep_order: bool) -> str:
    """The words again: reordered, inflected, cased, quoted, hyphenated, padded."""
    order = list(words) if keep_order else draw(st.permutations(words))
    out: list[str] = []
    for word in order:
        out.extend(draw(st.lists(st.sampled_from(CATALOGUE.filler_words), max_size=2)))
        form = draw(st.sampled_from(_inflections(word)))
        form = draw(st.sampled_from([form, form.upper(), form.capitalize()]))
        quote = draw(st.sampled_from(["", '"', "'"]))
        out.append(f"{quote}{form}{quote}")
    text = ""
    for index, piece in enumerate(out):
        gap = draw(st.sampled_from([" ", "  ", " - ", "-", "\t"])) if index else ""
        text += gap + piece
    return text + draw(st.sampled_from(["", "!", ".", "!!", " ."]))


def _entry(case: Case, text: str) -> str:
    """The paraphrase as the first clause of an entry that holds the rule's other features."""
    body = text.rstrip("!. ")
    return ", ".join((body, *case.others)) + text[len(body) :]


def _names_a_negated_phrase(text: str) -> bool:
    kept = [stem(w) for w in words_of(text) if w not in FILLERS]
    return any(tuple(kept[i : i + len(p)]) == p for p in NEGATED_PHRASES for i in range(len(kept)))


@settings(max_examples=200, deadline=None)
@given(case=st.sampled_from(CASES), data=st.data())
def test_a_paraphrase_of_a_red_flag_phrase_still_fires(case: Case, data: st.DataObject) -> None:
    text = data.draw(paraphrase(case.words, keep_order=case.negated_phrase))
    entry = _entry(case, text)
    assert case.alert in match_symptom_text(entry, CATALOGUE), entry


@settings(max_examples=200, deadline=None)
@given(case=st.sampled_from([c for c in CASES if not c.negated_phrase]), data=st.data())
def test_a_negated_red_flag_phrase_fires_nothing(case: Case, data: st.DataObject) -> None:
    negation = data.draw(st.sampled_from(NEGATED_FORMS))
    text = f"{negation} {data.draw(paraphrase(case.words, keep_order=False))}"
    assume(not _names_a_negated_phrase(text))  # "no interest lost" names "no interest"
    assert match_symptom_text(text, CATALOGUE) == frozenset(), text


def _fixed_paraphrase(words: tuple[str, ...], *, keep_order: bool) -> str:
    """One paraphrase of every kind at once, so that every phrase is checked on every run:
    reversed, each word in its last inflection, alternate upper case, a filler word between
    words, the first word quoted, the last two hyphenated, a trailing "!"."""
    order = list(words) if keep_order else list(reversed(words))
    forms = [_inflections(word)[-1] for word in order]
    forms = [form.upper() if i % 2 else form for i, form in enumerate(forms)]
    forms[0] = f'"{forms[0]}"'
    text = " the ".join(forms[:-1]) + ("-" if len(forms) > 1 else "") + forms[-1]
    return text + "!"


@pytest.mark.parametrize("negation", ["", *NEGATED_FORMS])
def test_every_red_flag_phrase_in_a_fixed_paraphrase(negation: str) -> None:
    """Every case, deterministically: it fires; each negated form of it fires nothing."""
    failures = []
    for case in CASES:
        if negation and case.negated_phrase:
            continue
        text = _fixed_paraphrase(case.words, keep_order=case.negated_phrase or bool(negation))
        if not negation:
            if case.alert not in match_symptom_text(_entry(case, text), CATALOGUE):
                failures.append(_entry(case, text))
        elif match_symptom_text(f"{negation} {text}", CATALOGUE):
            failures.append(f"{negation} {text}")
    assert failures == []


def test_every_red_flag_alert_and_feature_has_cases() -> None:
    assert {case.alert for case in CASES} == RED_FLAGS - {CATALOGUE.unrecognised_alert}
    red_flag_features = {
        feature
        for rule in CATALOGUE.rules
        if rule.alert in RED_FLAGS
        for feature in (*rule.all_of, *rule.any_of)
    }
    assert {case.feature for case in CASES} == red_flag_features
    variants = sum(1 for case in CASES if case.words not in _plain_phrases())
    assert variants > 50  # the synonym variants that feed red-flag phrases are covered


def _plain_phrases() -> set[tuple[str, ...]]:
    return {tuple(words_of(p)) for feature in CATALOGUE.features for p in feature.phrases}


def test_the_inflections_are_ones_the_stemmer_meets() -> None:
    assert set(_inflections("blister")) == {"blister", "blisters", "blistering", "blistered"}
    assert "vomiting" in _inflections("vomit")
    assert "dies" in _inflections("die") and "died" not in _inflections("die")
