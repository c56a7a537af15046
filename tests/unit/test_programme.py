"""Pregnancy-prevention programmes: every PP_* code fires, and stays quiet at its
boundary, under each programme it applies to (the case label names the programme)."""

from __future__ import annotations

from tests.builders import AlertCase, codes, evaluate
from tests.unit.programme_records import (
    counsel,
    eu,
    eu_first,
    method,
    not_started,
    proposed,
    specimen,
    uk,
    uk_first_on,
    us,
    us_first,
)

# us-ipledge under the 2026 rules: a prescription proposed on 2026-08-20, in treatment.
US_2026 = us(
    as_of="2026-08-20",
    proposed_prescription=proposed("2026-08-20"),
    pregnancy_tests=[specimen("2026-08-18", "clinic")],
    counselling=[counsel("2026-08-15", "comprehension_confirmed")],
)
CANNOT = {"patient.can_get_pregnant": False, "pregnancy_tests": [], "contraception": []}


def _us_first_2026(confirmation_day: str, setting: str = "clinic") -> dict[str, object]:
    """First prescription on 2026-08-20: screening 2026-08-01, confirmation on the day given."""
    return us(
        **not_started("2026-08-20"),
        pregnancy_tests=[specimen("2026-08-01", "office"), specimen(confirmation_day, setting)],
        contraception=[method("implant", "2026-06-01"), method("male_condom", "2026-06-01")],
        counselling=[counsel("2026-08-15", "comprehension_confirmed")],
    )


def _lockout(as_of: str) -> dict[str, object]:
    """us-ipledge 2021: confirmation test 2026-02-20, first prescription 2026-02-24, no dispense."""
    return {
        **us_first(
            pregnancy_tests=[specimen("2026-02-01", "office"), specimen("2026-02-20", "lab")],
            proposed_prescription=proposed("2026-02-24"),
            counselling=[counsel("2026-02-24", "comprehension_confirmed")],
        ),
        "as_of": as_of,
    }


def _window(programme_changes: dict[str, object], as_of: str) -> dict[str, object]:
    return {**programme_changes, "as_of": as_of}


US_WINDOW = us(
    pregnancy_tests=[specimen("2026-03-08", "lab")], proposed_prescription=proposed("2026-03-10")
)
EU_WINDOW = eu(
    pregnancy_tests=[specimen("2026-03-07", "office")], proposed_prescription=proposed("2026-03-08")
)
UK_WINDOW = uk(
    pregnancy_tests=[specimen("2026-03-07", "office")],
    proposed_prescription=proposed("2026-03-08"),
    counselling=[
        counsel("2026-01-10", "risk_acknowledged"),
        counsel("2026-03-05", "mental_health_assessed"),
    ],
)
US_CANNOT_WINDOW = us(
    **CANNOT,
    proposed_prescription=proposed("2026-02-10"),
    counselling=[counsel("2026-02-01", "comprehension_confirmed")],
)

_MINIPILL = method("progestin_only_pill", "2026-01-01")
_MINIPILL_ENDED = method("progestin_only_pill", "2026-01-01", "2026-03-14")

ALERT_CASES = [
    # --- PP_PREGNANCY_TEST_POSITIVE: the latest test decides.
    *[
        AlertCase(
            "PP_PREGNANCY_TEST_POSITIVE",
            build(
                pregnancy_tests=[
                    specimen("2026-03-13", setting),
                    specimen("2026-03-14", "home", "positive"),
                ]
            ),
            build(
                pregnancy_tests=[
                    specimen("2026-03-11", setting, "positive"),
                    specimen("2026-03-13", setting),
                ]
            ),
            label=label,
            severity="stop",
        )
        for label, build, setting in (
            ("us-ipledge", us, "lab"),
            ("eu-ppp", eu, "office"),
            ("uk-mhra", uk, "clinic"),
        )
    ],
    # --- PP_PREGNANCY_TEST_MISSING: the 7 days up to P (us), the 3 days before P or P (eu, uk).
    AlertCase(
        "PP_PREGNANCY_TEST_MISSING",
        us(pregnancy_tests=[specimen("2026-03-08", "lab")]),
        us(pregnancy_tests=[specimen("2026-03-09", "lab")]),
        label="us-ipledge-2021",
        severity="block",
    ),
    AlertCase(
        "PP_PREGNANCY_TEST_MISSING",
        {**US_2026, "pregnancy_tests": [specimen("2026-08-13", "clinic")]},
        {**US_2026, "pregnancy_tests": [specimen("2026-08-14", "clinic")]},
        label="us-ipledge-2026",
    ),
    AlertCase(
        "PP_PREGNANCY_TEST_MISSING",
        eu(pregnancy_tests=[specimen("2026-03-11", "office")]),
        eu(pregnancy_tests=[specimen("2026-03-12", "office")]),
        label="eu-ppp",
    ),
    AlertCase(
        "PP_PREGNANCY_TEST_MISSING",
        uk(pregnancy_tests=[specimen("2026-03-11", "lab")]),
        uk(pregnancy_tests=[specimen("2026-03-12", "lab")]),
        label="uk-mhra",
    ),
    # --- PP_CONFIRMATION_TEST_MISSING: 18 days after screening fails, 19 qualifies.
    AlertCase(
        "PP_CONFIRMATION_TEST_MISSING",
        us_first(pregnancy_tests=[specimen("2026-02-21", "office"), specimen("2026-03-11", "lab")]),
        us_first(pregnancy_tests=[specimen("2026-02-21", "office"), specimen("2026-03-12", "lab")]),
        label="us-ipledge-2021",
        severity="block",
    ),
    AlertCase(
        "PP_CONFIRMATION_TEST_MISSING",
        _us_first_2026("2026-08-19"),
        _us_first_2026("2026-08-20"),
        label="us-ipledge-2026",
    ),
    # --- PP_TEST_SETTING_NOT_ALLOWED
    AlertCase(
        "PP_TEST_SETTING_NOT_ALLOWED",
        us(pregnancy_tests=[specimen("2026-03-12", "home")]),
        us(pregnancy_tests=[specimen("2026-03-12", "lab")]),
        label="us-ipledge-2021",
        severity="block",
    ),
    AlertCase(
        "PP_TEST_SETTING_NOT_ALLOWED",
        _us_first_2026("2026-08-20", "home"),
        _us_first_2026("2026-08-20", "office"),
        label="us-ipledge-2026-before-first-dose",
    ),
    AlertCase(
        "PP_TEST_SETTING_NOT_ALLOWED",
        eu(pregnancy_tests=[specimen("2026-03-13", "home")]),
        eu(pregnancy_tests=[specimen("2026-03-13", "clinic")]),
        label="eu-ppp",
    ),
    AlertCase(
        "PP_TEST_SETTING_NOT_ALLOWED",
        uk(pregnancy_tests=[specimen("2026-03-13", "home")]),
        uk(pregnancy_tests=[specimen("2026-03-13", "lab")]),
        label="uk-mhra",
    ),
    # --- PP_LOCKOUT (us-ipledge 2021 only): 13 days after the test locks, 19 does not.
    AlertCase(
        "PP_LOCKOUT",
        _lockout("2026-03-05"),
        _lockout("2026-03-11"),
        label="us-ipledge-2021",
        severity="block",
    ),
    # --- PP_CONTRACEPTION_INSUFFICIENT
    AlertCase(
        "PP_CONTRACEPTION_INSUFFICIENT",
        us(contraception=[method("male_condom"), method("diaphragm")]),
        us(contraception=[method("abstinence")]),
        label="us-ipledge",
        severity="block",
    ),
    AlertCase(
        "PP_CONTRACEPTION_INSUFFICIENT",
        eu(contraception=[method("combined_pill"), method("abstinence")]),
        eu(contraception=[method("combined_pill"), method("male_condom")]),
        label="eu-ppp",
    ),
    AlertCase(
        "PP_CONTRACEPTION_INSUFFICIENT",
        uk(contraception=[method("implant", end="2026-03-14")]),
        uk(contraception=[method("implant", end="2026-03-15")]),
        label="uk-mhra",
    ),
    # --- PP_CONTRACEPTION_TOO_RECENT: 29 days before the first dose fails, 30 qualifies.
    AlertCase(
        "PP_CONTRACEPTION_TOO_RECENT",
        us_first(contraception=[method("ring", "2026-02-14"), method("sponge", "2025-01-01")]),
        us_first(contraception=[method("ring", "2026-02-13"), method("sponge", "2025-01-01")]),
        label="us-ipledge",
        severity="block",
    ),
    AlertCase(
        "PP_CONTRACEPTION_TOO_RECENT",
        eu_first(contraception=[method("implant", "2026-02-14")]),
        eu_first(contraception=[method("implant", "2026-02-13")]),
        label="eu-ppp",
    ),
    AlertCase(
        "PP_CONTRACEPTION_TOO_RECENT",
        eu_first("uk-mhra", contraception=[method("iud_hormonal", "2026-02-14")]),
        eu_first("uk-mhra", contraception=[method("iud_hormonal", "2026-02-13")]),
        label="uk-mhra",
    ),
    # --- PP_CONTRACEPTION_MINIPILL: listed and current (an ended one does not warn).
    *[
        AlertCase(
            "PP_CONTRACEPTION_MINIPILL",
            build(contraception=[*methods, _MINIPILL]),
            build(contraception=[*methods, _MINIPILL_ENDED]),
            label=label,
            severity="warning",
        )
        for label, build, methods in (
            ("us-ipledge", us, [method("iud_copper"), method("male_condom")]),
            ("eu-ppp", eu, [method("implant")]),
            ("uk-mhra", uk, [method("implant")]),
        )
    ],
    # --- PP_COUNSELLING_MISSING
    AlertCase(
        "PP_COUNSELLING_MISSING",
        us(counselling=[counsel("2026-02-13", "comprehension_confirmed")]),
        us(counselling=[counsel("2026-02-14", "comprehension_confirmed")]),
        label="us-ipledge",
        severity="block",
    ),
    AlertCase(
        "PP_COUNSELLING_MISSING",
        us(**CANNOT, counselling=[counsel("2026-02-13", "comprehension_confirmed")]),
        us(**CANNOT, counselling=[counsel("2026-02-14", "comprehension_confirmed")]),
        label="us-ipledge-2021-cannot-get-pregnant",
    ),
    AlertCase(
        "PP_COUNSELLING_MISSING",
        {**US_2026, **CANNOT, "counselling": [counsel("2026-02-15", "comprehension_confirmed")]},
        {**US_2026, **CANNOT, "counselling": [counsel("2026-02-14", "comprehension_confirmed")]},
        label="us-ipledge-2026-cannot-get-pregnant",
    ),
    AlertCase(
        "PP_COUNSELLING_MISSING",
        eu(counselling=[counsel("2026-02-15", "risk_acknowledged")]),
        eu(counselling=[counsel("2026-02-14", "risk_acknowledged")]),
        label="eu-ppp",
    ),
    AlertCase(
        "PP_COUNSELLING_MISSING",
        eu(**CANNOT, counselling=[counsel("2026-03-10", "comprehension_confirmed")]),
        eu(**CANNOT, counselling=[counsel("2026-01-10", "risk_acknowledged")]),
        label="eu-ppp-cannot-get-pregnant",
    ),
    AlertCase(
        "PP_COUNSELLING_MISSING",
        uk(counselling=[counsel("2026-03-10", "mental_health_assessed")]),
        uk(),
        label="uk-mhra",
    ),
    # --- PP_SUPPLY_TOO_LONG: 31 days fails, 30 passes, under every programme and category.
    *[
        AlertCase(
            "PP_SUPPLY_TOO_LONG",
            build(proposed_prescription=proposed(days_supply=31)),
            build(proposed_prescription=proposed(days_supply=30)),
            label=label,
            severity="block",
        )
        for label, build in (("us-ipledge", us), ("eu-ppp", eu), ("uk-mhra", uk))
    ],
    AlertCase(
        "PP_SUPPLY_TOO_LONG",
        us(**CANNOT, proposed_prescription=proposed(days_supply=31)),
        us(**CANNOT, proposed_prescription=proposed(days_supply=30)),
        label="us-ipledge-cannot-get-pregnant",
    ),
    # --- PP_WINDOW_EXPIRED: day 8 of the window is outside, day 7 inside.
    AlertCase(
        "PP_WINDOW_EXPIRED",
        _window(US_WINDOW, "2026-03-15"),
        _window(US_WINDOW, "2026-03-14"),
        label="us-ipledge",
        severity="block",
    ),
    AlertCase(
        "PP_WINDOW_EXPIRED",
        _window(EU_WINDOW, "2026-03-15"),
        _window(EU_WINDOW, "2026-03-14"),
        label="eu-ppp",
    ),
    AlertCase(
        "PP_WINDOW_EXPIRED",
        _window(UK_WINDOW, "2026-03-15"),
        _window(UK_WINDOW, "2026-03-14"),
        label="uk-mhra",
    ),
    AlertCase(
        "PP_WINDOW_EXPIRED",
        _window(US_CANNOT_WINDOW, "2026-03-12"),
        _window(US_CANNOT_WINDOW, "2026-03-11"),
        label="us-ipledge-2021-cannot-get-pregnant",
    ),
    # --- PP_SECOND_PRESCRIBER_MISSING: uk 2023-10-31 to 2026-01-21 only.
    AlertCase(
        "PP_SECOND_PRESCRIBER_MISSING",
        uk_first_on("2026-01-21"),
        uk_first_on("2026-01-22"),
        label="uk-mhra",
        severity="block",
    ),
    # --- PP_MENTAL_HEALTH_ASSESSMENT_MISSING: the 30 days up to the prescription.
    AlertCase(
        "PP_MENTAL_HEALTH_ASSESSMENT_MISSING",
        uk(
            counselling=[
                counsel("2026-01-10", "risk_acknowledged"),
                counsel("2026-02-13", "mental_health_assessed"),
            ]
        ),
        uk(
            counselling=[
                counsel("2026-01-10", "risk_acknowledged"),
                counsel("2026-02-14", "mental_health_assessed"),
            ]
        ),
        label="uk-mhra",
        severity="block",
    ),
]


def test_compliant_records_raise_no_programme_alert() -> None:
    for changes in (us(), eu(), uk(), us_first(), eu_first(), eu_first("uk-mhra"), US_2026):
        assessment = evaluate(**changes)
        assert {c for c in codes(assessment) if c.startswith("PP_")} == set(), changes["programme"]


def test_programme_none_raises_no_programme_alert_even_with_a_positive_test() -> None:
    assessment = evaluate(
        programme="none",
        pregnancy_tests=[specimen("2026-03-14", "home", "positive")],
        proposed_prescription=proposed(days_supply=90),
    )
    assert {c for c in codes(assessment) if c.startswith("PP_")} == set()
    assert assessment.dispense.window_closes is None
