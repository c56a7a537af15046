"""Programme boundaries: windows, the 19-day confirmation gap, test settings, rule
changes on their dates, patients who cannot get pregnant, and due tasks."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from isocourse.assessment import Assessment, Due
from tests.builders import codes, evaluate
from tests.unit.programme_records import (
    counsel,
    eu,
    method,
    not_started,
    proposed,
    specimen,
    uk,
    uk_first_on,
    us,
    us_first,
)

CANNOT: dict[str, Any] = {
    "patient.can_get_pregnant": False,
    "pregnancy_tests": [],
    "contraception": [],
}


def _pp(assessment: Assessment) -> set[str]:
    return {code for code in codes(assessment) if code.startswith("PP_")}


def _due(assessment: Assessment, task: str) -> list[Due]:
    return [d for d in assessment.due if d.task == task]


def _us_on(day: str, **changes: Any) -> dict[str, Any]:
    """us-ipledge in treatment, a prescription proposed and checked on ``day``."""
    base = us(
        as_of=day,
        proposed_prescription=proposed(day),
        counselling=[counsel(day, "comprehension_confirmed")],
    )
    return {**base, **changes}


# --- The dispense window ------------------------------------------------------------


@pytest.mark.parametrize(("as_of", "allowed"), [("2026-03-18", True), ("2026-03-19", False)])
def test_us_window_counts_the_specimen_day_as_day_1(as_of: str, allowed: bool) -> None:
    assessment = evaluate(**us(pregnancy_tests=[specimen("2026-03-12")], as_of=as_of))
    assert assessment.dispense.allowed is allowed
    assert ("PP_WINDOW_EXPIRED" in codes(assessment)) is not allowed
    if allowed:
        assert assessment.dispense.window_closes == date(2026, 3, 18)


@pytest.mark.parametrize(("as_of", "allowed"), [("2026-03-21", True), ("2026-03-22", False)])
def test_eu_window_counts_the_prescription_day_as_day_1(as_of: str, allowed: bool) -> None:
    assessment = evaluate(**eu(as_of=as_of))
    assert assessment.dispense.allowed is allowed
    if allowed:
        assert assessment.dispense.window_closes == date(2026, 3, 21)


def test_uk_window_closes_six_days_after_the_prescription() -> None:
    assert evaluate(**uk()).dispense.window_closes == date(2026, 3, 21)


def test_us_window_runs_from_the_latest_qualifying_specimen() -> None:
    tests = [specimen("2026-03-09"), specimen("2026-03-13")]
    assert evaluate(**us(pregnancy_tests=tests)).dispense.window_closes == date(2026, 3, 19)


def test_a_patient_who_cannot_get_pregnant_has_30_days_under_us_2021_and_no_window_in_2026() -> (
    None
):
    under_2021 = evaluate(**_us_on("2026-08-07", **CANNOT))
    under_2026 = evaluate(**_us_on("2026-08-08", **CANNOT))
    assert under_2021.dispense.window_closes == date(2026, 9, 5)
    assert under_2026.dispense.window_closes is None
    late_2021 = {**_us_on("2026-08-07", **CANNOT), "as_of": "2026-09-06"}
    late_2026 = {**_us_on("2026-08-08", **CANNOT), "as_of": "2026-09-07"}
    assert "PP_WINDOW_EXPIRED" in codes(evaluate(**late_2021))
    assert "PP_WINDOW_EXPIRED" not in codes(evaluate(**late_2026))


# --- Qualifying tests and settings -------------------------------------------------


@pytest.mark.parametrize(
    ("specimen_day", "qualifies"), [("2026-03-09", True), ("2026-03-08", False)]
)
def test_us_test_qualifies_in_the_7_days_up_to_the_prescription(
    specimen_day: str, qualifies: bool
) -> None:
    assessment = evaluate(**us(pregnancy_tests=[specimen(specimen_day)]))
    assert ("PP_PREGNANCY_TEST_MISSING" in codes(assessment)) is not qualifies


@pytest.mark.parametrize(
    ("specimen_day", "qualifies"), [("2026-03-12", True), ("2026-03-11", False)]
)
def test_eu_test_qualifies_in_the_3_days_before_the_prescription_or_on_it(
    specimen_day: str, qualifies: bool
) -> None:
    assessment = evaluate(**eu(pregnancy_tests=[specimen(specimen_day, "clinic")]))
    assert ("PP_PREGNANCY_TEST_MISSING" in codes(assessment)) is not qualifies


def test_a_test_dated_after_the_prescription_does_not_qualify() -> None:
    assessment = evaluate(**eu(as_of="2026-03-16", pregnancy_tests=[specimen("2026-03-16")]))
    assert "PP_PREGNANCY_TEST_MISSING" in codes(assessment)


def test_home_test_during_treatment_counts_only_under_the_2026_us_rules() -> None:
    home = [specimen("2026-08-05", "home")]
    before = evaluate(**_us_on("2026-08-07", pregnancy_tests=home))
    after = evaluate(**_us_on("2026-08-08", pregnancy_tests=home))
    assert {"PP_TEST_SETTING_NOT_ALLOWED", "PP_PREGNANCY_TEST_MISSING"} <= _pp(before)
    assert _pp(after) == set()
    assert after.dispense.window_closes == date(2026, 8, 11)


def test_clinic_test_needs_a_lab_under_us_2021_but_not_2026() -> None:
    clinic = [specimen("2026-08-05", "clinic")]
    assert "PP_TEST_SETTING_NOT_ALLOWED" in codes(
        evaluate(**_us_on("2026-08-07", pregnancy_tests=clinic))
    )
    assert _pp(evaluate(**_us_on("2026-08-08", pregnancy_tests=clinic))) == set()


def test_home_test_before_the_first_dose_never_counts_under_us_2026() -> None:
    first = us(
        **not_started("2026-08-20"),
        pregnancy_tests=[specimen("2026-08-01", "office"), specimen("2026-08-20", "home")],
        contraception=[method("implant", "2026-06-01"), method("male_condom", "2026-06-01")],
        counselling=[counsel("2026-08-20", "comprehension_confirmed")],
    )
    assert "PP_TEST_SETTING_NOT_ALLOWED" in codes(evaluate(**first))


@pytest.mark.parametrize(
    ("specimen_day", "accepted"), [("2026-08-10", False), ("2026-08-11", True)]
)
def test_a_home_test_on_the_first_dose_day_counts_as_before_the_first_dose(
    specimen_day: str, accepted: bool
) -> None:
    changes = _us_on(
        "2026-08-12",
        pregnancy_tests=[specimen(specimen_day, "home")],
        **{"course.start_date": "2026-08-10"},
        doses=[{"start": "2026-08-10", "end": None, "mg_per_day": 40}],
    )
    assert ("PP_TEST_SETTING_NOT_ALLOWED" in codes(evaluate(**changes))) is not accepted


def test_a_second_accepted_test_is_not_blocked_by_a_home_test() -> None:
    tests = [specimen("2026-03-12", "lab"), specimen("2026-03-14", "home")]
    assert _pp(evaluate(**us(pregnancy_tests=tests))) == set()


def test_a_positive_and_a_negative_test_on_the_same_latest_day_stop_treatment() -> None:
    tests = [specimen("2026-03-12", "home", "positive"), specimen("2026-03-12", "lab")]
    assessment = evaluate(**us(pregnancy_tests=tests))
    assert "PP_PREGNANCY_TEST_POSITIVE" in assessment.dispense.blocking


# --- Confirmation test and lockout -------------------------------------------------


@pytest.mark.parametrize(
    ("confirmation_day", "holds"), [("2026-03-12", True), ("2026-03-11", False)]
)
def test_confirmation_19_days_after_screening_qualifies_and_18_does_not(
    confirmation_day: str, holds: bool
) -> None:
    tests = [specimen("2026-02-21", "office"), specimen(confirmation_day, "lab")]
    assessment = evaluate(**us_first(pregnancy_tests=tests))
    assert ("PP_CONFIRMATION_TEST_MISSING" in codes(assessment)) is not holds
    (check,) = [c for c in assessment.checks if "confirmation test" in c.condition]
    assert check.holds is holds


def test_confirmation_needs_30_days_of_contraception_before_it() -> None:
    late = [method("implant", "2026-02-11"), method("male_condom", "2026-01-01")]
    assessment = evaluate(**us_first(contraception=late))
    (alert,) = [a for a in assessment.alerts if a.code == "PP_CONFIRMATION_TEST_MISSING"]
    assert "not preceded by 30 days" in alert.message


def test_confirmation_is_asked_only_for_the_first_prescription() -> None:
    assert "PP_CONFIRMATION_TEST_MISSING" not in codes(evaluate(**us()))


def test_lockout_applies_under_us_2021_only() -> None:
    # A first prescription of 2026-08-07 is judged by the 2021 rules; 2026-08-08 by 2026.
    locked = {
        **us(
            **not_started("2026-08-05"),
            pregnancy_tests=[specimen("2026-07-11", "office"), specimen("2026-07-30", "lab")],
            contraception=[method("implant", "2026-06-01"), method("male_condom", "2026-06-01")],
            counselling=[counsel("2026-08-05", "comprehension_confirmed")],
        ),
        "as_of": "2026-08-10",
    }
    not_locked = {**locked, "proposed_prescription": proposed("2026-08-08")}
    assert "PP_LOCKOUT" in codes(evaluate(**locked))
    assert "PP_LOCKOUT" not in codes(evaluate(**not_locked))


def test_lockout_ends_19_days_after_the_confirmation_test() -> None:
    base = us_first(
        pregnancy_tests=[specimen("2026-02-01", "office"), specimen("2026-02-20", "lab")],
        proposed_prescription=proposed("2026-02-24"),
    )
    assert "PP_LOCKOUT" in codes(evaluate(**{**base, "as_of": "2026-02-27"}))
    assert "PP_LOCKOUT" not in codes(evaluate(**{**base, "as_of": "2026-02-26"}))  # day 7
    assert "PP_LOCKOUT" in codes(evaluate(**{**base, "as_of": "2026-03-10"}))  # 18 days
    assert "PP_LOCKOUT" not in codes(evaluate(**{**base, "as_of": "2026-03-11"}))  # 19 days


# --- Rule changes on their dates ---------------------------------------------------


def test_uk_second_prescriber_rule_ends_on_2026_01_22() -> None:
    assert "PP_SECOND_PRESCRIBER_MISSING" in codes(evaluate(**uk_first_on("2026-01-21")))
    assert "PP_SECOND_PRESCRIBER_MISSING" not in codes(evaluate(**uk_first_on("2026-01-22")))


def test_uk_second_prescriber_rule_starts_on_2023_10_31() -> None:
    started = uk_first_on("2023-10-31", birth_date="2006-06-01")
    before = uk_first_on("2023-10-30", birth_date="2006-06-01")
    assert "PP_SECOND_PRESCRIBER_MISSING" in codes(evaluate(**started))
    assert _pp(evaluate(**before)) == set()


def test_uk_second_prescriber_is_for_patients_under_18_on_the_prescription_date() -> None:
    eighteen_today = uk_first_on("2026-01-21", birth_date="2008-01-21")
    seventeen = uk_first_on("2026-01-21", birth_date="2008-01-22")
    assert "PP_SECOND_PRESCRIBER_MISSING" not in codes(evaluate(**eighteen_today))
    assert "PP_SECOND_PRESCRIBER_MISSING" in codes(evaluate(**seventeen))


def test_uk_second_prescriber_agreement_clears_it() -> None:
    agreed = uk_first_on("2026-01-21")
    counselling = [*agreed["counselling"], counsel("2026-01-20", "second_prescriber_agreed")]
    assert _pp(evaluate(**{**agreed, "counselling": counselling})) == set()


def test_uk_mental_health_assessment_starts_on_2023_10_31() -> None:
    started = uk_first_on("2023-10-31", birth_date="1990-01-01", counselling=[])
    before = uk_first_on("2023-10-30", birth_date="1990-01-01", counselling=[])
    assert "PP_MENTAL_HEALTH_ASSESSMENT_MISSING" in codes(evaluate(**started))
    assert "PP_MENTAL_HEALTH_ASSESSMENT_MISSING" not in codes(evaluate(**before))


def test_the_rule_set_follows_the_prescription_date_not_as_of() -> None:
    # Written on 2026-08-07 (2021 rules), checked at the pharmacy on 2026-08-08.
    home = [specimen("2026-08-05", "home")]
    written_before = {**_us_on("2026-08-07", pregnancy_tests=home), "as_of": "2026-08-08"}
    assert "PP_TEST_SETTING_NOT_ALLOWED" in codes(evaluate(**written_before))
    (check,) = [c for c in evaluate(**written_before).checks if c.condition.startswith("rule set")]
    assert "us-ipledge-2021-12-13" in check.condition


def test_us_2026_cannot_get_pregnant_counselling_is_needed_once_only() -> None:
    enrolled = [counsel("2026-02-01", "comprehension_confirmed")]
    assert "PP_COUNSELLING_MISSING" in codes(
        evaluate(**_us_on("2026-08-07", **CANNOT, counselling=enrolled))
    )
    assert "PP_COUNSELLING_MISSING" not in codes(
        evaluate(**_us_on("2026-08-08", **CANNOT, counselling=enrolled))
    )


# --- Contraception -----------------------------------------------------------------


def test_recent_contraception_is_only_too_recent_before_the_course_starts() -> None:
    recent = [method("implant", "2026-03-01"), method("male_condom", "2026-03-01")]
    assert _pp(evaluate(**us(contraception=recent))) == set()


@pytest.mark.parametrize(
    ("programme", "methods", "qualifies"),
    [
        (us, ["iud_hormonal", "sponge"], True),
        (us, ["patch", "ring"], True),
        (us, ["abstinence"], True),
        (us, ["iud_copper"], False),
        (us, ["progestin_only_pill", "male_condom"], False),
        (us, ["combined_pill", "combined_pill"], False),
        (eu, ["tubal_sterilisation"], True),
        (eu, ["injection", "cervical_cap"], True),
        (eu, ["abstinence"], False),
        (eu, ["progestin_only_pill", "male_condom"], False),
        (eu, ["combined_pill", "ring"], False),
        (uk, ["partner_vasectomy"], True),
        (uk, ["male_condom", "sponge"], False),
    ],
)
def test_contraception_schemes(programme: Any, methods: list[str], qualifies: bool) -> None:
    changes = programme(contraception=[method(m) for m in methods])
    assert ("PP_CONTRACEPTION_INSUFFICIENT" in codes(evaluate(**changes))) is not qualifies


# --- Patients who cannot get pregnant ----------------------------------------------


def test_cannot_get_pregnant_gets_no_test_or_contraception_alert() -> None:
    changes = us(
        **{
            **CANNOT,
            "pregnancy_tests": [specimen("2026-03-14", "home", "positive")],
            "contraception": [method("progestin_only_pill")],
        }
    )
    assessment = evaluate(**changes)
    assert _pp(assessment) == set()
    assert _due(assessment, "pregnancy_test") == []


def test_uk_2023_measures_apply_to_patients_who_cannot_get_pregnant_too() -> None:
    # MHRA Drug Safety Update, 31 October 2023: the under-18 second prescriber and the
    # mental-health assessment apply to every patient (corrected 2026-12).
    first = uk_first_on("2026-01-21", **CANNOT)
    first["counselling"] = [counsel("2026-01-21", "risk_acknowledged")]
    assert _pp(evaluate(**first)) == {
        "PP_SECOND_PRESCRIBER_MISSING",
        "PP_MENTAL_HEALTH_ASSESSMENT_MISSING",
    }


def test_uk_2023_measures_are_met_for_a_patient_who_cannot_get_pregnant() -> None:
    first = uk_first_on("2026-01-21", **CANNOT)
    first["counselling"] = [
        counsel("2026-01-21", "risk_acknowledged"),
        counsel("2026-01-21", "mental_health_assessed"),
        counsel("2026-01-21", "second_prescriber_agreed"),
    ]
    assert _pp(evaluate(**first)) == set()


def test_uk_mental_health_assessment_still_applies_to_every_patient_from_2026() -> None:
    first = uk_first_on("2026-03-15", **CANNOT)
    first["counselling"] = [counsel("2026-03-15", "risk_acknowledged")]
    assert _pp(evaluate(**first)) == {"PP_MENTAL_HEALTH_ASSESSMENT_MISSING"}


# --- Due tasks ---------------------------------------------------------------------


def test_pregnancy_test_is_due_on_the_prescription_day_when_missing() -> None:
    assessment = evaluate(**us(pregnancy_tests=[], as_of="2026-03-16"))
    assert _due(assessment, "pregnancy_test") == [Due("pregnancy_test", date(2026, 3, 15), True)]


def test_next_pregnancy_test_and_counselling_are_due_when_the_supply_ends() -> None:
    assessment = evaluate(**us())
    assert _due(assessment, "pregnancy_test") == [Due("pregnancy_test", date(2026, 4, 14), False)]
    assert _due(assessment, "counselling") == [Due("counselling", date(2026, 4, 14), False)]
    assert _due(assessment, "dispense_window_closes") == [
        Due("dispense_window_closes", date(2026, 3, 18), False)
    ]


def test_end_of_course_and_post_course_tests_under_us() -> None:
    ended = us(
        doses=[{"start": "2026-01-15", "end": "2026-03-01", "mg_per_day": 40}],
        pregnancy_tests=[specimen("2026-02-25")],
        proposed_prescription=None,
    )
    assessment = evaluate(**ended)
    assert _due(assessment, "end_of_course_pregnancy_test") == [
        Due("end_of_course_pregnancy_test", date(2026, 3, 1), True)
    ]
    assert _due(assessment, "post_course_pregnancy_test") == [
        Due("post_course_pregnancy_test", date(2026, 3, 31), False)
    ]
    assert _due(assessment, "pregnancy_test") == []


def test_post_course_test_only_under_eu_and_a_later_test_fulfils_it() -> None:
    ended = eu(
        as_of="2026-04-05",
        doses=[{"start": "2026-01-15", "end": "2026-03-01", "mg_per_day": 40}],
        proposed_prescription=None,
    )
    assessment = evaluate(**ended)
    assert _due(assessment, "end_of_course_pregnancy_test") == []
    assert _due(assessment, "post_course_pregnancy_test") == [
        Due("post_course_pregnancy_test", date(2026, 3, 31), True)
    ]
    done = evaluate(**{**ended, "pregnancy_tests": [specimen("2026-04-01", "office")]})
    assert _due(done, "post_course_pregnancy_test") == []


def test_an_ended_course_without_a_proposed_prescription_is_not_judged_for_one() -> None:
    ended = us(
        as_of="2026-05-01",
        doses=[{"start": "2026-01-15", "end": "2026-03-01", "mg_per_day": 40}],
        proposed_prescription=None,
        contraception=[],
    )
    assert _pp(evaluate(**ended)) == set()


# --- Explain -----------------------------------------------------------------------


def test_each_condition_names_the_record_it_rests_on() -> None:
    checks = evaluate(**us()).checks
    (test_check,) = [c for c in checks if c.condition.startswith("a negative pregnancy test")]
    assert (
        test_check.condition
        == "a negative pregnancy test qualifies for the prescription of 2026-03-15"
    )
    assert test_check.holds is True
    assert test_check.evidence == "pregnancy_tests[0]: 2026-03-12 negative urine lab"
    assert test_check.source
