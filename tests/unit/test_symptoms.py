"""Symptoms: free text with synonyms, clauses and negation; catalogue codes; the window."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from isocourse.knowledge.loader import load_knowledge
from isocourse.rules.symptoms import has_muscle_symptom, match_symptom_text, stem
from tests.builders import AlertCase, codes, evaluate, record

CATALOGUE = load_knowledge().symptoms


def said(text: str, day: str = "2026-03-10") -> dict[str, object]:
    return {"symptoms": [{"date": day, "text": text}]}


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
              severity="info"),
    AlertCase("SYMPTOM_UNRECOGNISED", said("my cat looks at me funny", day="2026-02-14"),
              said("my cat looks at me funny", day="2026-02-13"), label="window-30-days"),
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
