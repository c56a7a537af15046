"""Laboratory monitoring: lab catalogue, unit conversions, thresholds, baseline and the labs due."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isocourse.knowledge.labs import LabTest, from_canonical, to_canonical
from isocourse.knowledge.loader import load_knowledge
from isocourse.rules import symptoms as symptom_rules
from isocourse.rules.labs import assess_labs
from tests.builders import BASE, DELETE, AlertCase, codes, evaluate, record

AS_OF = date(2026, 3, 15)


def with_lab(
    test: str, value: float, unit: str, day: str = "2026-03-01", **extra: Any
) -> dict[str, Any]:
    """BASE's labs plus one result."""
    lab = {"date": day, "test": test, "value": value, "unit": unit, **extra}
    return {"labs": [*BASE["labs"], lab]}


def first_prescription(labs_day: str, prescription_day: str = "2026-03-15") -> dict[str, Any]:
    """A course not yet started: a first prescription, baseline ALT and TG on ``labs_day``."""
    return {
        "course.start_date": DELETE,
        "doses": [],
        "prescriptions": [],
        "dispenses": [],
        "proposed_prescription": {"date": prescription_day, "days_supply": 30, "mg_per_day": 30},
        "labs": [
            {"date": labs_day, "test": "triglycerides", "value": 120, "unit": "mg/dL"},
            {"date": labs_day, "test": "alt", "value": 20, "unit": "U/L"},
        ],
    }


ALERT_CASES: list[AlertCase] = [
    AlertCase(
        "LAB_BASELINE_MISSING",
        fires=first_prescription("2026-02-12"),  # 31 days before the prescription
        quiet=first_prescription("2026-02-13"),  # 30 days before: counts
        severity="block",
    ),
    AlertCase(
        "LAB_BASELINE_MISSING",
        label="no-labs-at-all",
        fires={**first_prescription("2026-03-15"), "labs": []},
        quiet=first_prescription("2026-03-15"),  # the prescription day itself counts
    ),
    AlertCase(
        "LAB_TG_HIGH",
        fires=with_lab("triglycerides", 500, "mg/dL"),
        quiet=with_lab("triglycerides", 499.9, "mg/dL"),
        severity="warning",
    ),
    AlertCase(
        "LAB_TG_HIGH",
        label="mmol-converted",
        fires=with_lab("triglycerides", 5.65, "mmol/L"),  # 500.4 mg/dL
        quiet=with_lab("triglycerides", 5.64, "mmol/L"),  # 499.5 mg/dL
    ),
    AlertCase(
        "LAB_TG_SEVERE",
        fires=with_lab("triglycerides", 800.1, "mg/dL"),
        quiet=with_lab("triglycerides", 800, "mg/dL"),  # the labels: "above 800 mg/dL"
        severity="urgent",
    ),
    AlertCase(
        "LAB_ALT_HIGH",
        fires=with_lab("alt", 135.1, "U/L", reference_high=45),
        quiet=with_lab("alt", 135, "U/L", reference_high=45),  # exactly 3 × ULN: not above
        severity="warning",
    ),
    AlertCase(
        "LAB_ALT_HIGH",
        label="lab-reference-overrides-default",
        fires=with_lab("alt", 100, "U/L", reference_high=30),  # limit 90
        quiet=with_lab("alt", 100, "U/L"),  # default ULN 40: limit 120
    ),
    AlertCase(
        "LAB_AST_HIGH",
        fires=with_lab("ast", 105.1, "U/L"),
        quiet=with_lab("ast", 105, "U/L"),
        severity="warning",
    ),
    AlertCase(
        "LAB_LIVER_SEVERE",
        fires=with_lab("alt", 225.1, "U/L", reference_high=45),
        quiet=with_lab("alt", 225, "U/L", reference_high=45),
        severity="urgent",
    ),
    AlertCase(
        "LAB_LIVER_SEVERE",
        label="ast",
        fires=with_lab("ast", 175.1, "IU/L"),
        quiet=with_lab("ast", 175, "IU/L"),
    ),
    AlertCase(
        "LAB_CK_HIGH",
        fires=with_lab("ck", 1000.1, "U/L"),
        quiet=with_lab("ck", 1000, "U/L"),
        severity="info",
    ),
    AlertCase(
        "LAB_UNIT_MISMATCH",
        fires=with_lab("triglycerides", 2.0, "U/L"),
        quiet=with_lab("triglycerides", 2.0, "mmol/L"),
        severity="block",
    ),
]


def lab_codes(**changes: Any) -> set[str]:
    return {code for code in codes(evaluate(**changes)) if code.startswith("LAB_")}


def lab_alert(code: str, **changes: Any) -> str:
    (alert,) = [a for a in evaluate(**changes).alerts if a.code == code]
    return alert.message


# -- the catalogue ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("alt", "alt"),
        ("ALT", "alt"),
        (" Triglycerides ", "triglycerides"),
        ("2571-8", "triglycerides"),
        ("35217-9", "triglycerides"),
        ("13457-7", "ldl"),
        ("18262-6", "ldl"),
        ("1742-6", "alt"),
        ("1920-8", "ast"),
        ("2157-6", "ck"),
        ("2093-3", "cholesterol_total"),
        ("2085-9", "hdl"),
        ("2345-7", "glucose"),
    ],
)
def test_a_test_resolves_by_short_name_or_loinc_code(name: str, expected: str) -> None:
    test = load_knowledge().labs.resolve(name)
    assert test is not None and test.name == expected


@pytest.mark.parametrize("name", ["bilirubin", "2571-9", "", "triglyceride"])
def test_an_unknown_test_resolves_to_nothing(name: str) -> None:
    assert load_knowledge().labs.resolve(name) is None


def test_a_record_with_an_unknown_lab_test_is_refused() -> None:
    from isocourse.record_parser import RecordError

    with pytest.raises(RecordError):
        record(**with_lab("bilirubin", 1.0, "mg/dL"))


def test_default_upper_limits_come_from_the_catalogue() -> None:
    labs = load_knowledge().labs
    limits = {
        name: labs.by_name(name).upper_limit_normal for name in ("alt", "ast", "ck", "glucose")
    }
    assert {k: v.value if v else None for k, v in limits.items()} == {
        "alt": 40,
        "ast": 35,
        "ck": 200,
        "glucose": None,
    }


def test_the_lab_catalogue_has_no_problems() -> None:
    knowledge = load_knowledge()
    assert knowledge.labs.problems(knowledge) == []


# -- conversions -------------------------------------------------------------------------------


def lab_test(name: str) -> LabTest:
    test = load_knowledge().labs.resolve(name)
    assert test is not None
    return test


@pytest.mark.parametrize(
    ("name", "value", "unit", "expected"),
    [
        ("triglycerides", 1.0, "mmol/L", 88.57),
        ("triglycerides", 1.0, "mmol/l", 88.57),
        ("triglycerides", 1.5, "g/L", 150.0),
        ("triglycerides", 150.0, "mg/dL", 150.0),
        ("cholesterol_total", 1.0, "mmol/L", 38.67),
        ("ldl", 2.0, "mmol/L", 77.34),
        ("hdl", 1.0, "mmol/L", 38.67),
        ("glucose", 5.0, "mmol/L", 90.0),
        ("alt", 31.0, "IU/L", 31.0),
        ("alt", 0.5, "µkat/L", 30.0),
        ("ck", 1.0, "ukat/L", 60.0),
    ],
)
def test_values_convert_to_the_canonical_unit(
    name: str, value: float, unit: str, expected: float
) -> None:
    converted = to_canonical(value, unit, lab_test(name))
    assert converted is not None and math.isclose(converted, expected)


@pytest.mark.parametrize(
    ("name", "unit"),
    [("triglycerides", "U/L"), ("alt", "mg/dL"), ("glucose", "mmol"), ("ck", ""), ("ldl", "%")],
)
def test_a_unit_that_does_not_fit_its_test_converts_to_nothing(name: str, unit: str) -> None:
    assert to_canonical(1.0, unit, lab_test(name)) is None
    assert from_canonical(1.0, unit, lab_test(name)) is None


def _test_and_unit() -> st.SearchStrategy[tuple[LabTest, str]]:
    pairs = [(test, unit) for test in load_knowledge().labs.tests for unit in test.factors]
    return st.sampled_from(pairs)


@given(pair=_test_and_unit(), value=st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_converting_there_and_back_keeps_the_value(pair: tuple[LabTest, str], value: float) -> None:
    test, unit = pair
    there = from_canonical(value, unit, test)
    assert there is not None
    back = to_canonical(there, unit, test)
    assert back is not None and math.isclose(back, value, rel_tol=1e-9, abs_tol=1e-12)


# -- thresholds ------------------------------------------------------------------------------


def test_severe_triglycerides_raise_the_high_alert_too() -> None:
    assert {"LAB_TG_HIGH", "LAB_TG_SEVERE"} <= lab_codes(
        **with_lab("triglycerides", 10.0, "mmol/L")
    )


def test_triglycerides_between_800_and_880_are_severe_per_the_us_labels() -> None:
    assert "LAB_TG_SEVERE" in lab_codes(**with_lab("triglycerides", 850, "mg/dL"))
    assert "LAB_TG_SEVERE" in lab_codes(**with_lab("triglycerides", 9.1, "mmol/L"))  # 806 mg/dL


def test_severe_liver_enzymes_raise_the_high_alert_too() -> None:
    found = lab_codes(**with_lab("alt", 250, "U/L"))
    assert {"LAB_ALT_HIGH", "LAB_LIVER_SEVERE"} <= found


def test_only_the_latest_result_of_a_test_counts() -> None:
    labs = [
        *BASE["labs"],
        {"date": "2026-02-01", "test": "triglycerides", "value": 900, "unit": "mg/dL"},
        {"date": "2026-03-01", "test": "triglycerides", "value": 300, "unit": "mg/dL"},
    ]
    assert lab_codes(labs=labs) == set()


def test_a_result_dated_after_as_of_is_not_yet_known() -> None:
    assert lab_codes(**with_lab("triglycerides", 900, "mg/dL", day="2026-03-16")) == set()


def test_a_loinc_coded_result_is_judged_like_a_named_one() -> None:
    assert "LAB_TG_HIGH" in lab_codes(**with_lab("35217-9", 6.0, "mmol/L"))


def test_the_labs_own_upper_limit_is_converted_with_its_unit() -> None:
    # 3 µkat/L = 180 U/L; the lab's ULN 0.5 µkat/L = 30 U/L, so 6 × ULN.
    found = lab_codes(**with_lab("alt", 3, "ukat/L", reference_high=0.5))
    assert {"LAB_ALT_HIGH", "LAB_LIVER_SEVERE"} <= found


def test_a_mismatched_unit_is_never_used_for_thresholds() -> None:
    found = lab_codes(**with_lab("triglycerides", 900, "U/L"))
    assert found == {"LAB_UNIT_MISMATCH"}


def test_a_mismatched_latest_result_leaves_the_last_readable_one_judged() -> None:
    labs = [
        *BASE["labs"],
        {"date": "2026-02-01", "test": "triglycerides", "value": 600, "unit": "mg/dL"},
        {"date": "2026-03-01", "test": "triglycerides", "value": 2, "unit": "g"},
    ]
    assert lab_codes(labs=labs) == {"LAB_UNIT_MISMATCH", "LAB_TG_HIGH"}


def test_messages_give_the_value_the_lab_reported_and_what_to_do() -> None:
    message = lab_alert("LAB_TG_HIGH", **with_lab("triglycerides", 6, "mmol/L"))
    assert "531.4 mg/dL (6 mmol/L as reported)" in message
    assert "2026-03-01" in message and "500 mg/dL" in message
    assert "dose" in message


def test_the_alt_message_names_whose_upper_limit_applied() -> None:
    own = lab_alert("LAB_ALT_HIGH", **with_lab("alt", 100, "U/L", reference_high=30))
    default = lab_alert("LAB_ALT_HIGH", **with_lab("alt", 130, "U/L"))
    assert "30 U/L (the lab's own)" in own and "limit 90 U/L" in own
    assert "40 U/L (default)" in default


def test_ck_is_urgent_with_a_muscle_symptom(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(symptom_rules, "has_muscle_symptom", lambda *_: True, raising=False)
    findings = assess_labs(record(**with_lab("ck", 2000, "U/L")), load_knowledge(), AS_OF)
    assert [(a.code, a.severity) for a in findings.alerts] == [("LAB_CK_HIGH", "urgent")]


def test_ck_stays_information_without_a_muscle_symptom(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(symptom_rules, "has_muscle_symptom", lambda *_: False, raising=False)
    findings = assess_labs(record(**with_lab("ck", 2000, "U/L")), load_knowledge(), AS_OF)
    assert [(a.code, a.severity) for a in findings.alerts] == [("LAB_CK_HIGH", "info")]


def test_ck_with_reported_muscle_pain_and_dark_urine_is_urgent() -> None:
    symptom = {"date": "2026-03-12", "text": "severe muscle pain and dark urine"}
    assessment = evaluate(**with_lab("ck", 2000, "U/L"), symptoms=[symptom])
    (ck,) = [a for a in assessment.alerts if a.code == "LAB_CK_HIGH"]
    assert ck.severity == "urgent"


# -- baseline and the labs due ------------------------------------------------------------------


def labs_due(**changes: Any) -> list[tuple[date, bool]]:
    return [(d.due, d.overdue) for d in evaluate(**changes).due if d.task == "labs"]


def test_baseline_needs_both_alt_and_triglycerides() -> None:
    changes = first_prescription("2026-03-01")
    changes["labs"] = changes["labs"][:1]  # triglycerides only
    assert "LAB_BASELINE_MISSING" in lab_codes(**changes)
    assert "ALT" in lab_alert("LAB_BASELINE_MISSING", **changes)


def test_baseline_is_only_asked_for_a_first_prescription() -> None:
    assert "LAB_BASELINE_MISSING" not in lab_codes(
        labs=[], proposed_prescription={"date": "2026-03-15", "days_supply": 30}
    )


def test_a_baseline_with_an_unreadable_unit_does_not_count() -> None:
    changes = first_prescription("2026-03-01")
    changes["labs"][1] = {**changes["labs"][1], "unit": "mg/dL"}  # ALT in mg/dL
    assert {"LAB_BASELINE_MISSING", "LAB_UNIT_MISMATCH"} <= lab_codes(**changes)


def test_baseline_labs_are_due_on_the_prescription_day_before_the_course() -> None:
    changes = first_prescription("2026-01-01")
    assert labs_due(**changes) == [(date(2026, 3, 15), False)]
    assert labs_due(**first_prescription("2026-03-01")) == []


def test_baseline_labs_are_overdue_when_the_prescription_day_has_passed() -> None:
    changes = first_prescription("2026-01-01", prescription_day="2026-03-10")
    assert labs_due(**changes) == [(date(2026, 3, 10), True)]


def test_peak_dose_labs_are_due_two_months_after_the_start() -> None:
    # BASE started 2026-01-15: due 2026-03-16, not yet overdue on 2026-03-15.
    assert labs_due() == [(date(2026, 3, 16), False)]


def test_peak_dose_labs_are_overdue_once_the_day_has_passed() -> None:
    assert labs_due(**{"course.start_date": "2026-01-01"}) == [(date(2026, 3, 2), True)]


def test_peak_dose_labs_done_on_the_due_day_are_no_longer_due() -> None:
    labs = [
        *BASE["labs"],
        {"date": "2026-03-02", "test": "triglycerides", "value": 140, "unit": "mg/dL"},
        {"date": "2026-03-02", "test": "1742-6", "value": 25, "unit": "U/L"},
    ]
    assert labs_due(labs=labs, **{"course.start_date": "2026-01-01"}) == []


def test_peak_dose_labs_drawn_after_the_increase_but_before_day_60_count() -> None:
    labs = [
        *BASE["labs"],
        {"date": "2026-02-16", "test": "triglycerides", "value": 140, "unit": "mg/dL"},
        {"date": "2026-02-16", "test": "alt", "value": 25, "unit": "U/L"},
    ]
    assert labs_due(labs=labs, **{"course.start_date": "2026-01-01"}) == []


def test_peak_dose_labs_drawn_the_day_before_the_dose_increase_do_not_count() -> None:
    # BASE's dose rises from 40 to 60 mg/day on 2026-02-15: a lab of 2026-02-14 is not at peak
    labs = [
        *BASE["labs"],
        {"date": "2026-02-14", "test": "triglycerides", "value": 140, "unit": "mg/dL"},
        {"date": "2026-02-14", "test": "alt", "value": 25, "unit": "U/L"},
    ]
    assert labs_due(labs=labs, **{"course.start_date": "2026-01-01"}) == [(date(2026, 3, 2), True)]


def test_peak_dose_labs_drawn_on_the_first_day_of_the_highest_dose_count() -> None:
    labs = [
        *BASE["labs"],
        {"date": "2026-02-15", "test": "triglycerides", "value": 140, "unit": "mg/dL"},
        {"date": "2026-02-15", "test": "alt", "value": 25, "unit": "U/L"},
    ]
    assert labs_due(labs=labs, **{"course.start_date": "2026-01-01"}) == []


# a course at 40 mg/day raised to 60 mg/day on day 55 (2026-03-11), as of 2026-03-20
RAISED_LATE = {
    "as_of": "2026-03-20",
    "doses": [
        {"start": "2026-01-15", "end": "2026-03-10", "mg_per_day": 40},
        {"start": "2026-03-11", "end": None, "mg_per_day": 60},
    ],
}


def lab_pair(day: str) -> list[dict[str, Any]]:
    return [
        *BASE["labs"],
        {"date": day, "test": "triglycerides", "value": 140, "unit": "mg/dL"},
        {"date": day, "test": "alt", "value": 25, "unit": "U/L"},
    ]


def test_a_lab_inside_the_old_two_week_window_but_before_an_increase_does_not_count() -> None:
    # 2026-03-05 was inside "two weeks before day 60" (from 2026-03-02) but before the increase
    assert labs_due(labs=lab_pair("2026-03-05"), **RAISED_LATE) == [(date(2026, 3, 16), True)]
    assert labs_due(labs=lab_pair("2026-03-12"), **RAISED_LATE) == []


def test_a_dose_raised_after_day_60_makes_the_peak_check_due_again_on_the_increase() -> None:
    changes = {
        "as_of": "2026-04-01",
        "doses": [
            {"start": "2026-01-15", "end": "2026-03-24", "mg_per_day": 40},
            {"start": "2026-03-25", "end": None, "mg_per_day": 60},
        ],
    }
    # the day-60 lab (2026-03-16) was drawn at 40 mg/day: due again from 2026-03-25
    assert labs_due(labs=lab_pair("2026-03-16"), **changes) == [(date(2026, 3, 25), True)]
    assert labs_due(labs=lab_pair("2026-03-26"), **changes) == []


def test_reaching_the_highest_dose_again_after_a_reduction_is_a_new_peak() -> None:
    doses = [
        {"start": "2026-01-15", "end": "2026-02-14", "mg_per_day": 60},
        {"start": "2026-02-15", "end": "2026-02-28", "mg_per_day": 40},
        {"start": "2026-03-01", "end": None, "mg_per_day": 60},
    ]
    assert labs_due(labs=lab_pair("2026-02-01"), doses=doses) == [(date(2026, 3, 16), False)]
    assert labs_due(labs=lab_pair("2026-03-01"), doses=doses) == []


def test_a_period_continuing_the_same_dose_does_not_restart_the_peak() -> None:
    doses = [
        {"start": "2026-01-15", "end": "2026-02-14", "mg_per_day": 40},
        {"start": "2026-02-15", "end": "2026-02-28", "mg_per_day": 60},
        {"start": "2026-03-01", "end": None, "mg_per_day": 60},
    ]
    assert labs_due(labs=lab_pair("2026-02-20"), doses=doses) == []


def test_a_lab_on_the_first_day_of_a_constant_dose_course_is_the_baseline() -> None:
    doses = [{"start": "2026-01-15", "end": None, "mg_per_day": 40}]
    assert labs_due(labs=lab_pair("2026-01-15"), doses=doses) == [(date(2026, 3, 16), False)]
    assert labs_due(labs=lab_pair("2026-01-16"), doses=doses) == []


def test_a_dose_period_starting_after_as_of_is_not_yet_the_peak() -> None:
    doses = [
        {"start": "2026-01-15", "end": "2026-03-19", "mg_per_day": 40},
        {"start": "2026-03-20", "end": None, "mg_per_day": 60},
    ]
    assert labs_due(labs=lab_pair("2026-03-01"), doses=doses) == []


def test_no_labs_are_due_after_the_course_has_ended() -> None:
    doses = [{"start": "2026-01-15", "end": "2026-03-01", "mg_per_day": 40}]
    assert labs_due(doses=doses) == []
