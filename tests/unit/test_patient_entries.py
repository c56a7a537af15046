"""A patient's own entry may raise an alert; it never clears one (a property of the rules).

For every kind a patient may write (a missed dose, a symptom, a mood screen, a home
pregnancy test; the dose itself is the prescriber's, see tests/e2e/test_record_trust.py),
adding a patient's entry to a record never removes a blocking code, so it can never turn
a ``block`` or ``stop`` into an allowed dispense.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isocourse.knowledge.loader import load_knowledge
from isocourse.record_parser import course_record_from_json
from isocourse.rules import assess
from tests.builders import record_json

KNOWLEDGE = load_knowledge()
AS_OF = date(2026, 3, 15)
PROPOSED = {"date": "2026-03-15", "days_supply": 30, "mg_per_day": 60}

#: what a clinic may have recorded that blocks or stops (each a change to the base record)
CLINIC_PROBLEMS: dict[str, dict[str, Any]] = {
    "suicidal item 9": {
        "mood_screens": [{"date": "2026-03-10", "instrument": "phq9", "items": [0] * 8 + [2]}]
    },
    "tetracycline": {"medications": [{"name": "doxycycline 100 mg", "start": "2026-03-01"}]},
    "positive test": {
        "programme": "us-ipledge",
        "patient.can_get_pregnant": True,
        "pregnancy_tests": [
            {"date": "2026-03-12", "result": "positive", "method": "serum", "setting": "lab"}
        ],
    },
    "no qualifying test": {
        "programme": "us-ipledge",
        "patient.can_get_pregnant": True,
        "pregnancy_tests": [],
    },
    "unknown medication": {"medications": [{"name": "Zqxtrabolin", "start": "2026-03-01"}]},
    "red-flag symptom": {"symptoms": [{"date": "2026-03-11", "text": "yellow eyes"}]},
    "nothing": {},
}

DAYS = st.dates(AS_OF - timedelta(days=40), AS_OF + timedelta(days=3)).map(date.isoformat)
PATIENT_ENTRIES = st.one_of(
    st.tuples(
        st.just("missed_doses"),
        st.fixed_dictionaries({"date": DAYS, "mg": st.sampled_from([10, 30, 60, 400])}),
    ),
    st.tuples(
        st.just("symptoms"),
        st.fixed_dictionaries(
            {
                "date": DAYS,
                "text": st.sampled_from(
                    [
                        "feeling fine",
                        "no headache",
                        "I do not want to die",
                        "dry lips",
                        "never had yellow eyes",
                        "all good, no suicidal thoughts",
                    ]
                ),
            }
        ),
    ),
    st.tuples(
        st.just("mood_screens"),
        st.fixed_dictionaries(
            {
                "date": DAYS,
                "instrument": st.just("phq9"),
                "items": st.lists(st.integers(0, 3), min_size=9, max_size=9),
            }
        ),
    ),
    st.tuples(
        st.just("pregnancy_tests"),
        st.fixed_dictionaries(
            {
                "date": DAYS,
                "result": st.sampled_from(["negative", "positive"]),
                "method": st.sampled_from(["urine", "serum"]),
                "setting": st.sampled_from(["home", "lab", "clinic", "office"]),
            }
        ),
    ),
)


def _assessed(document: dict[str, Any]) -> Any:
    course = course_record_from_json(document, KNOWLEDGE, today=AS_OF)
    return assess(course, KNOWLEDGE, as_of=AS_OF)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    problem=st.sampled_from(sorted(CLINIC_PROBLEMS)),
    proposed=st.booleans(),
    entries=st.lists(PATIENT_ENTRIES, min_size=1, max_size=3),
)
def test_a_patients_entry_never_clears_a_blocking_alert(
    problem: str, proposed: bool, entries: list[tuple[str, dict[str, Any]]]
) -> None:
    changes = dict(CLINIC_PROBLEMS[problem])
    if proposed:
        changes["proposed_prescription"] = PROPOSED
    document = record_json(**changes)
    before = _assessed(document)
    after_document = copy.deepcopy(document)
    for kind, entry in entries:
        after_document.setdefault(kind, []).append({**entry, "source": "patient"})
    after = _assessed(after_document)
    assert set(before.dispense.blocking) <= set(after.dispense.blocking)
    if not before.dispense.allowed:
        assert not after.dispense.allowed


def test_the_clinic_problems_do_block() -> None:
    """The property above is not empty: each clinic problem blocks on its own."""
    for name, changes in CLINIC_PROBLEMS.items():
        assessment = _assessed(record_json(**changes, proposed_prescription=PROPOSED))
        assert assessment.dispense.allowed is (name == "nothing"), name


def test_the_same_entries_from_the_clinic_can_clear() -> None:
    """The source makes the difference: the clinic's own newer screen clears its older one."""
    changes = dict(CLINIC_PROBLEMS["suicidal item 9"])
    newer = {"date": "2026-03-14", "instrument": "phq9", "items": [0] * 9}
    by_patient = record_json(
        **{**changes, "mood_screens": [*changes["mood_screens"], {**newer, "source": "patient"}]}
    )
    by_clinic = record_json(**{**changes, "mood_screens": [*changes["mood_screens"], newer]})
    assert "MOOD_SUICIDAL_IDEATION" in _assessed(by_patient).dispense.blocking
    assert "MOOD_SUICIDAL_IDEATION" not in _assessed(by_clinic).dispense.blocking
