"""The assessment's JSON form is written once and read back whole.

Property: for assessments of generated records, reading the written form gives the same
assessment (its checks too, when they are written), and writing what was read gives the
same JSON text. A stored assessment once lost each alert's ``since`` on the way back,
which changed the work-list order after ``isocourse reassess``.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from isocourse.assessment import ASSESSMENT_FORMAT, Alert, Assessment
from isocourse.assessment_json import assessment_from_json, assessment_to_json
from isocourse.demo_patients import demo_records
from isocourse.knowledge.loader import load_knowledge
from isocourse.record_parser import course_record_from_json
from isocourse.rules import assess
from isocourse.synth import SynthRates, synth_record
from tests.builders import evaluate, record_json

AS_OF = date(2026, 3, 15)
SYMPTOM_CODES = sorted(load_knowledge().symptoms.codes())
SYMPTOM_TEXTS = ["dry lips", "terrible headache and I threw up", "yellow eyes and dark urine"]
MEDICATIONS = ["doxycycline hyclate 100mg", "vitamin A 10000 IU", "ibuprofen 400 mg"]


def day(offset: int) -> str:
    return (AS_OF - timedelta(days=offset)).isoformat()


@st.composite
def built_records(draw: st.DrawFn) -> dict[str, Any]:
    """A plain record (see ``tests/builders.py``) with drawn patient-reported entries,
    labs, weight, dose and programme: mood screens and symptoms raise alerts that carry
    the day they were reported (``since``)."""
    days = st.integers(min_value=0, max_value=40)
    phq9 = st.lists(st.integers(min_value=0, max_value=3), min_size=9, max_size=9)
    screens = st.lists(
        st.fixed_dictionaries(
            {"date": days.map(day), "instrument": st.just("phq9"), "items": phq9}
        ),
        max_size=3,
    )
    symptom = st.one_of(
        st.fixed_dictionaries({"date": days.map(day), "code": st.sampled_from(SYMPTOM_CODES)}),
        st.fixed_dictionaries({"date": days.map(day), "text": st.sampled_from(SYMPTOM_TEXTS)}),
    )
    medication = st.fixed_dictionaries(
        {"name": st.sampled_from(MEDICATIONS), "start": days.map(day), "end": st.none()}
    )
    mg = st.sampled_from([20, 30, 40, 60, 80, 22.5, 37.5])
    target = st.sampled_from([120, 150, 220, 137.5])
    programme = draw(st.sampled_from(["none", "us-ipledge", "eu-ppp", "uk-mhra"]))
    return record_json(
        programme=programme,
        mood_screens=draw(screens),
        symptoms=draw(st.lists(symptom, max_size=3)),
        medications=draw(st.lists(medication, max_size=2)),
        weights=[
            {
                "date": day(draw(st.integers(min_value=0, max_value=200))),
                "value": draw(st.floats(min_value=40, max_value=150).map(lambda w: round(w, 1))),
                "unit": "kg",
            }
        ],
        doses=[
            {"start": "2026-01-15", "end": "2026-02-14", "mg_per_day": 40},
            {"start": "2026-02-15", "end": None, "mg_per_day": draw(mg)},
        ],
        labs=[
            {
                "date": day(draw(days)),
                "test": "triglycerides",
                "value": draw(st.integers(min_value=60, max_value=1200)),
                "unit": "mg/dL",
            },
            {
                "date": day(draw(days)),
                "test": "alt",
                "value": draw(st.integers(min_value=5, max_value=400)),
                "unit": "U/L",
                "reference_high": 45,
            },
        ],
        **{
            "patient.can_get_pregnant": draw(st.booleans()),
            "course.target_mg_per_kg": draw(target),
        },
    )


@st.composite
def synthetic_records(draw: st.DrawFn) -> dict[str, Any]:
    """A fictional registry's patient, with problems far more common than in a clinic."""
    rates = SynthRates(
        red_flag_symptom=0.5, suicidal_item=0.3, moderate_depression=0.3, common_symptom=0.5
    )
    index, seed = draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6))
    return synth_record(index, seed=seed, today=AS_OF, rates=rates)


RECORDS = st.one_of(built_records(), synthetic_records(), st.sampled_from(demo_records(AS_OF)))


def assessed(document: dict[str, Any]) -> Assessment:
    knowledge = load_knowledge()
    record = course_record_from_json(document, knowledge, today=AS_OF)
    return assess(record, knowledge, as_of=record.as_of)


ASSESSMENTS = RECORDS.map(assessed)


@pytest.mark.slow  # 200 generated assessments
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assessment=ASSESSMENTS, explain=st.booleans())
def test_reading_the_written_form_gives_the_same_assessment(
    assessment: Assessment, explain: bool
) -> None:
    document = assessment_to_json(assessment, explain=explain)
    read = assessment_from_json(json.loads(json.dumps(document)))
    assert read == assessment
    assert [alert.since for alert in read.alerts] == [a.since for a in assessment.alerts]
    # the checks do not take part in ==; they come back when they were written
    assert read.checks == (assessment.checks if explain else ())


@pytest.mark.slow  # 200 generated assessments
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assessment=ASSESSMENTS, explain=st.booleans())
def test_writing_the_read_form_gives_the_same_json_text(
    assessment: Assessment, explain: bool
) -> None:
    text = json.dumps(assessment_to_json(assessment, explain=explain), ensure_ascii=False)
    again = assessment_to_json(assessment_from_json(json.loads(text)), explain=explain)
    assert json.dumps(again, ensure_ascii=False) == text


@pytest.mark.slow  # searches the generated assessments
def test_the_generated_assessments_include_alerts_with_and_without_since() -> None:
    """The property above is only as good as its examples: they reach both kinds."""
    both = find(
        ASSESSMENTS,
        lambda a: {alert.since is None for alert in a.alerts} == {True, False},
        settings=settings(database=None, deadline=None),
    )
    assert any(alert.since for alert in both.alerts)
    newest = find(
        ASSESSMENTS,
        lambda a: len({alert.since for alert in a.alerts if alert.since}) >= 2,
        settings=settings(database=None, deadline=None),
    )
    assert len({alert.since for alert in newest.alerts if alert.since}) >= 2


def test_an_alerts_since_survives_the_round_trip() -> None:
    assessment = evaluate(symptoms=[{"date": "2026-03-10", "code": "suicidal_thoughts"}])
    stop = next(alert for alert in assessment.alerts if alert.severity == "stop")
    assert stop.since == date(2026, 3, 10)
    document = assessment_to_json(assessment)
    assert {"code": stop.code, "since": "2026-03-10"}.items() <= document["alerts"][0].items()
    assert assessment_from_json(document).alerts == assessment.alerts


def test_the_written_form_keeps_the_contract() -> None:
    assessment = evaluate()
    document = assessment_to_json(assessment)
    assert list(document) == [
        "format",
        "as_of",
        "patient_id",
        "weight_kg",
        "dose",
        "cumulative",
        "dispense",
        "alerts",
        "due",
    ]
    assert document["format"] == ASSESSMENT_FORMAT
    assert document["as_of"] == "2026-03-15"
    # whole mg print as integers; other numbers as they are
    text = json.dumps(document)
    assert '"mg_per_day": 60,' in text and '"target_mg_per_kg": 150,' in text
    assert isinstance(document["cumulative"]["mg"], int)
    assert document["weight_kg"] == 62.0 and isinstance(document["weight_kg"], float)
    # since only when set; the checks only with explain, as "explain", last
    assert all("since" not in alert for alert in document["alerts"])
    assert "explain" not in document
    explained = assessment_to_json(evaluate(programme="us-ipledge"), explain=True)
    assert list(explained)[-1] == "explain" and "checks" not in explained
    assert explained["explain"], "a programme record has checks to explain"
    for check in explained["explain"]:
        assert check.keys() == {"condition", "holds", "evidence", "source"}


def test_a_fractional_mg_stays_a_fraction() -> None:
    doses = [{"start": "2026-02-15", "end": None, "mg_per_day": 22.5}]
    document = assessment_to_json(evaluate(doses=doses))
    assert document["dose"]["mg_per_day"] == 22.5


def test_a_stored_form_without_since_still_reads() -> None:
    document = assessment_to_json(evaluate())
    alert = {"code": "X", "severity": "info", "message": "m", "source": "s"}
    read = assessment_from_json({**document, "alerts": [alert]})
    assert read.alerts == (Alert("X", "info", "m", "s", None),)


@pytest.mark.parametrize(
    "change",
    [
        {"format": "isocourse.assessment/0"},
        {"format": None},
        {"surprise": 1},
        {"alerts": [{"code": "X", "severity": "info", "message": "m", "source": "s", "x": 1}]},
        {"alerts": [{"code": "X", "severity": "dire", "message": "m", "source": "s"}]},
        {"dose": {"mg_per_day": 60}},
        {"as_of": "2026-02-30"},
    ],
    ids=[
        "old-format",
        "no-format",
        "unknown-field",
        "unknown-alert-field",
        "bad-severity",
        "missing-field",
        "bad-date",
    ],
)
def test_reading_refuses_what_is_not_this_form(change: dict[str, Any]) -> None:
    document = {**assessment_to_json(evaluate()), **change}
    with pytest.raises(ValueError):
        assessment_from_json(document)
