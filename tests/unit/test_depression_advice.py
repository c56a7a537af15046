"""Low mood: the labels say stop isotretinoin and contact the prescriber (corrected 2026-12)."""

from __future__ import annotations

from isocourse.knowledge.loader import load_knowledge
from tests.builders import evaluate

KNOWLEDGE = load_knowledge()


def depression_alert(text: str) -> str:
    assessment = evaluate(symptoms=[{"date": "2026-03-10", "text": text}])
    (alert,) = [a for a in assessment.alerts if a.code == "SYMPTOM_DEPRESSION"]
    return alert.message


def test_the_patient_is_told_to_stop_isotretinoin_and_call_the_clinic() -> None:
    advice = KNOWLEDGE.symptoms.advice_by_alert["SYMPTOM_DEPRESSION"]
    assert advice.red_flag
    assert advice.words.startswith("Stop taking isotretinoin and call your clinic today.")


def test_the_clinician_is_told_the_patient_stops_and_is_seen_today() -> None:
    message = depression_alert("I feel hopeless and I am crying a lot")
    assert "stop isotretinoin" in message
    assert "make sure the patient has stopped" in message
    assert "today" in message
    assert "consider stopping" not in message


def test_both_cite_the_label_wording_on_stopping() -> None:
    advice = KNOWLEDGE.symptoms.advice_by_alert["SYMPTOM_DEPRESSION"]
    definition = KNOWLEDGE.alerts["SYMPTOM_DEPRESSION"]
    for source in (advice.source, definition.source):
        assert "stop isotretinoin" in source.lower()
        assert "[us-label-myorisan Medication Guide]" in source
        # shown with the Myorisan label's DailyMed link (its Medication Guide)
        assert "51ff6346-9256-4c01-9f52-417d13f2df05" in KNOWLEDGE.references.cite(source)


def test_a_negated_low_mood_gives_no_advice_to_stop() -> None:
    assessment = evaluate(symptoms=[{"date": "2026-03-10", "text": "not depressed at all"}])
    assert "SYMPTOM_DEPRESSION" not in {a.code for a in assessment.alerts}
