"""Symptoms: free text with synonyms, clauses and negation; catalogue codes; the window."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isocourse.knowledge.loader import load_knowledge
from isocourse.knowledge.symptoms import Synonym
from isocourse.rules.symptoms import has_muscle_symptom, match_symptom_text, stem
from tests.builders import AlertCase, codes, evaluate, record

CATALOGUE = load_knowledge().symptoms


def said(text: str, day: str = "2026-03-10") -> dict[str, object]:
    return {"symptoms": [{"date": day, "text": text}]}


def reviewed(
    text: str, day: str = "2026-03-11", *, source: str = "clinician", kind: str = "symptom"
) -> dict[str, object]:
    """A review of ``text`` the day after ``said``'s default date."""
    return {"date": day, "kind": kind, "text": text, "outcome": "not_relevant", "source": source}


ALERT_CASES = [
    AlertCase("SYMPTOM_SUICIDAL", said("sometimes I want to die"), said("I do not want to die"),
              severity="stop"),
    AlertCase("SYMPTOM_DEPRESSION", said("no interest in anything and crying a lot"),
              said("not depressed at all"), severity="urgent"),
    AlertCase("SYMPTOM_INTRACRANIAL_HYPERTENSION", said("bad headache and blurry vision"),
              said("bad headache, no nausea, no vision problems"), severity="stop"),
    AlertCase("SYMPTOM_PANCREATITIS", said("terrible tummy pain going through to my back"),
              said("no stomach pain"), severity="stop"),
    AlertCase("SYMPTOM_IBD", said("there was blood in my stool"), said("no blood in stool"),
              severity="stop"),
    AlertCase("SYMPTOM_HEPATITIS", said("my eyes look yellow"), said("eyes not yellow"),
              severity="stop"),
    AlertCase("SYMPTOM_SEVERE_SKIN_REACTION", said("blisters on my arms"), said("no blisters"),
              severity="stop"),
    AlertCase("SYMPTOM_ALLERGY", said("my face is swollen and I have hives"),
              said("without any swelling"), severity="stop"),
    AlertCase("SYMPTOM_HEARING", said("ringing in my ears"), said("never any ringing in my ears"),
              severity="stop"),
    AlertCase("SYMPTOM_VISION", said("I can't see at night any more"), said("no vision changes"),
              severity="stop"),
    AlertCase("SYMPTOM_MUSCLE_BREAKDOWN", said("muscle pain after the gym, and dark urine"),
              said("muscle pain after the gym"), severity="urgent"),
    AlertCase("SYMPTOM_COMMON", said("dry lips"), said("no dry lips"), severity="info"),
    AlertCase("SYMPTOM_UNRECOGNISED", said("my cat looks at me funny"), said("dry lips"),
              severity="block"),
    AlertCase("SYMPTOM_UNRECOGNISED", said("my cat looks at me funny", day="2026-02-14"),
              said("my cat looks at me funny", day="2026-02-13"), label="window-30-days"),
    AlertCase("SYMPTOM_UNRECOGNISED",
              {**said("my cat looks at me funny"),
               "reviews": [reviewed("my cat looks at me funny", source="patient")]},
              {**said("my cat looks at me funny"),
               "reviews": [reviewed("my cat looks at me funny")]},
              label="reviewed-by-a-clinician", severity="block"),
    AlertCase("SYMPTOM_SUICIDAL", said("I think everyone would be better off if I were dead"),
              said("I never thought everyone would be better off if I were dead"),
              label="synonym-words-in-another-order", severity="stop"),
]


def test_no_headache_does_not_fire() -> None:
    assert match_symptom_text("no headache", CATALOGUE) == frozenset()


def test_negation_stops_at_the_end_of_its_clause() -> None:
    found = match_symptom_text("no fever, but bad headache and I threw up", CATALOGUE)
    assert found == {"SYMPTOM_INTRACRANIAL_HYPERTENSION"}


def test_a_headache_alone_is_common_not_intracranial_hypertension() -> None:
    assert match_symptom_text("really bad headache", CATALOGUE) == {"SYMPTOM_COMMON"}


def test_words_of_a_phrase_may_come_in_any_order() -> None:
    assert "SYMPTOM_HEPATITIS" in match_symptom_text("skin has gone yellow", CATALOGUE)
    assert "SYMPTOM_HEARING" in match_symptom_text("my ears are ringing", CATALOGUE)


def test_phrase_words_in_different_clauses_do_not_combine() -> None:
    assert "SYMPTOM_HEPATITIS" not in match_symptom_text("yellow shirt. eyes fine", CATALOGUE)


def test_dark_urine_with_muscle_weakness_is_muscle_breakdown_not_hepatitis() -> None:
    found = match_symptom_text("dark urine and my muscles are really weak", CATALOGUE)
    assert found == {"SYMPTOM_MUSCLE_BREAKDOWN"}


def test_dark_urine_alone_is_hepatitis() -> None:
    assert match_symptom_text("dark urine", CATALOGUE) == {"SYMPTOM_HEPATITIS"}


def test_synonyms_of_rules_md_are_understood() -> None:
    cases = {
        "worst headache ever and feel sick": "SYMPTOM_INTRACRANIAL_HYPERTENSION",
        "bad headache, being sick": "SYMPTOM_INTRACRANIAL_HYPERTENSION",
        "awful headache and double vision": "SYMPTOM_INTRACRANIAL_HYPERTENSION",
        "severe belly pain radiating to the back": "SYMPTOM_PANCREATITIS",
        "better off dead": "SYMPTOM_SUICIDAL",
        "self-harm again": "SYMPTOM_SUICIDAL",
        "blood in stool": "SYMPTOM_IBD",
    }
    for text, code in cases.items():
        assert code in match_symptom_text(text, CATALOGUE), text


def test_a_catalogue_code_fires_without_text() -> None:
    assessment = evaluate(symptoms=[{"date": "2026-03-10", "code": "jaundice"}])
    assert "SYMPTOM_HEPATITIS" in codes(assessment)


def test_a_symptom_dated_after_as_of_does_not_fire_yet() -> None:
    assert "SYMPTOM_HEPATITIS" not in codes(evaluate(**said("yellow eyes", day="2026-03-16")))


def test_a_red_flag_blocks_the_prescription_and_names_the_patients_words() -> None:
    assessment = evaluate(**said("bad headache and blurry vision"))
    assert "SYMPTOM_INTRACRANIAL_HYPERTENSION" in assessment.dispense.blocking
    (alert,) = [a for a in assessment.alerts if a.code == "SYMPTOM_INTRACRANIAL_HYPERTENSION"]
    assert "bad headache and blurry vision" in alert.message


def test_muscle_symptoms_are_found_for_the_ck_rule() -> None:
    course = record(**said("my muscles ache"))
    assert has_muscle_symptom(course, load_knowledge(), course.as_of)
    quiet = record(**said("no muscle pain"))
    assert not has_muscle_symptom(quiet, load_knowledge(), quiet.as_of)


def test_every_alert_has_patient_advice_and_red_flags_say_call_now() -> None:
    advice = CATALOGUE.advice_by_alert
    for rule in CATALOGUE.rules:
        assert rule.alert in advice
        words = advice[rule.alert].words.lower()
        if advice[rule.alert].red_flag:
            assert "call" in words


def test_the_stemmer_meets_plurals_and_verb_forms() -> None:
    assert stem("blisters") == stem("blister")
    assert stem("vomiting") == "vomit"
    assert stem("ears") == "ear"
    assert stem("loss") == "loss"


PHRASES = [(f.id, p) for f in CATALOGUE.features for p in f.phrases if " " in p or len(p) > 3]


@given(text=st.text(max_size=200))
def test_matching_arbitrary_text_never_raises(text: str) -> None:
    match_symptom_text(text, CATALOGUE)


@given(phrase=st.sampled_from(PHRASES))
def test_no_before_any_catalogue_phrase_fires_nothing(phrase: tuple[str, str]) -> None:
    _, words = phrase
    if words.startswith(("no ", "not ")):
        return
    assert match_symptom_text("no " + words, CATALOGUE) <= {"SYMPTOM_UNRECOGNISED"}


# -- synonyms match like catalogue phrases ---------------------------------------------------------


def test_synonym_words_may_come_in_any_order() -> None:
    cases = {
        "I think everyone would be better off if I were dead": "SYMPTOM_SUICIDAL",
        "I want my life to end": "SYMPTOM_SUICIDAL",
        "myself, no. I want to kill myself": "SYMPTOM_SUICIDAL",
        "die I want to": "SYMPTOM_SUICIDAL",
        "the pain in my tummy is going to the back through": "SYMPTOM_PANCREATITIS",
        "my stool has blood in it": "SYMPTOM_IBD",
        "at night I can't see": "SYMPTOM_VISION",
        "the ears in my head keep ringing": "SYMPTOM_HEARING",
        "up I threw, with a headache so bad": "SYMPTOM_INTRACRANIAL_HYPERTENSION",
    }
    for text, code in cases.items():
        assert code in match_symptom_text(text, CATALOGUE), text


def test_a_variant_needs_all_its_words_filler_words_included() -> None:
    assert match_symptom_text("I want to end the day early", CATALOGUE) == frozenset()
    assert match_symptom_text("I want to end it all", CATALOGUE) == {"SYMPTOM_SUICIDAL"}
    assert match_symptom_text("all of it, the end", CATALOGUE) == frozenset()


def test_a_negation_covers_variants_to_the_end_of_the_clause() -> None:
    for text in (
        "I never want to kill myself",
        "I don't think I'd be better off dead",
        "no blood in my stool",
        "not throwing up",
        "denies any ringing in the ears",
    ):
        assert match_symptom_text(text, CATALOGUE) == frozenset(), text


def test_a_negation_does_not_reach_into_the_next_clause() -> None:
    found = match_symptom_text("no fever, but I want to end my life", CATALOGUE)
    assert found == {"SYMPTOM_SUICIDAL"}


def test_negated_catalogue_phrases_take_inflections_and_fillers() -> None:
    for text in ("no interests", "I have no interest in anything", "NO INTERESTS!"):
        assert "SYMPTOM_DEPRESSION" in match_symptom_text(text, CATALOGUE), text
    assert match_symptom_text("no real interest in football", CATALOGUE) == frozenset()


def test_words_in_quotes_and_hyphenated_words_are_read() -> None:
    assert match_symptom_text('"self-harm" again!', CATALOGUE) == {"SYMPTOM_SUICIDAL"}
    assert match_symptom_text("'not' depressed", CATALOGUE) == frozenset()


def test_the_symptom_catalogue_has_no_wording_problems() -> None:
    knowledge = load_knowledge()
    assert knowledge.symptoms.problems(knowledge) == []


def test_a_variant_of_filler_words_only_is_a_knowledge_problem() -> None:
    knowledge = load_knowledge()
    extra = (Synonym("wanting die", ("it all",)), Synonym("x", ("not y",)))
    bad = replace(CATALOGUE, synonyms=(*CATALOGUE.synonyms, *extra))
    problems = bad.problems(knowledge)
    assert "synonym variant 'it all' has only filler words" in problems
    assert "synonym variant 'not y' contains a negation" in problems


# -- reviews of unrecognised text ------------------------------------------------------------------


def unrecognised_message(**changes: object) -> str | None:
    found = [a for a in evaluate(**changes).alerts if a.code == "SYMPTOM_UNRECOGNISED"]
    return found[0].message if found else None


def test_unrecognised_text_blocks_until_a_clinician_reviews_it() -> None:
    assessment = evaluate(**said("my cat looks at me funny"))
    assert "SYMPTOM_UNRECOGNISED" in assessment.dispense.blocking
    assert assessment.dispense.allowed is False
    cleared = evaluate(**said("my cat looks at me funny"),
                       reviews=[reviewed("my cat looks at me funny")])
    assert "SYMPTOM_UNRECOGNISED" not in codes(cleared)
    assert cleared.dispense.allowed is True


def test_a_review_on_the_day_of_the_entry_counts_and_white_space_is_trimmed() -> None:
    changes = said("my cat looks at me funny ")
    assert unrecognised_message(**changes, reviews=[reviewed(" my cat looks at me funny",
                                                             day="2026-03-10")]) is None


@pytest.mark.parametrize(
    ("why", "review"),
    [
        ("another text", reviewed("my cat looks funny")),
        ("another case", reviewed("My cat looks at me funny")),
        ("dated before the entry", reviewed("my cat looks at me funny", day="2026-03-09")),
        ("dated after as_of", reviewed("my cat looks at me funny", day="2026-03-16")),
        ("recorded by the patient", reviewed("my cat looks at me funny", source="patient")),
        ("imported", reviewed("my cat looks at me funny", source="import")),
        ("a medication review", reviewed("my cat looks at me funny", kind="medication")),
    ],
)
def test_a_review_that_does_not_match_does_not_clear(why: str, review: dict[str, object]) -> None:
    assessment = evaluate(**said("my cat looks at me funny"), reviews=[review])
    assert "SYMPTOM_UNRECOGNISED" in assessment.dispense.blocking, why


def test_every_unreviewed_entry_is_named_newest_first() -> None:
    symptoms = [
        {"date": "2026-03-01", "text": "strange dreams"},
        {"date": "2026-03-05", "text": "my cat looks at me funny"},
        {"date": "2026-03-08", "text": "tingly toes"},
    ]
    message = unrecognised_message(symptoms=symptoms, reviews=[reviewed("tingly toes")])
    assert message is not None
    assert "tingly toes" not in message
    assert message.index("my cat looks at me funny") < message.index("strange dreams")
    (alert,) = [a for a in evaluate(symptoms=symptoms).alerts if a.code == "SYMPTOM_UNRECOGNISED"]
    assert alert.since is not None and alert.since.isoformat() == "2026-03-08"


def test_a_coded_entry_that_fires_nothing_is_reviewed_by_its_code() -> None:
    coded = [{"date": "2026-03-10", "code": "vomiting"}]
    assert unrecognised_message(symptoms=coded) is not None
    assert unrecognised_message(symptoms=coded, reviews=[reviewed("vomiting")]) is None


def test_recognised_text_needs_no_review() -> None:
    assert unrecognised_message(**said("dry lips")) is None
