"""Fictional course records under each programme, as changes to the builders' BASE.

Each function returns a dict of changes for ``tests.builders.record``/``evaluate``
describing a patient who meets every programme condition; a test then breaks one.
BASE: in treatment since 2026-01-15, a dispense on 2026-02-15, as_of 2026-03-15.
"""

from __future__ import annotations

from typing import Any

from tests.builders import DELETE

Changes = dict[str, Any]


def specimen(day: str, setting: str = "lab", result: str = "negative") -> dict[str, str]:
    return {"date": day, "result": result, "method": "urine", "setting": setting}


def method(name: str, start: str = "2025-06-01", end: str | None = None) -> dict[str, Any]:
    return {"method": name, "start": start, "end": end}


def counsel(day: str, kind: str) -> dict[str, str]:
    return {"date": day, "kind": kind}


def proposed(day: str = "2026-03-15", days_supply: int = 30) -> dict[str, Any]:
    return {"date": day, "days_supply": days_supply, "mg_per_day": 60}


def us(**changes: Any) -> Changes:
    """us-ipledge, can get pregnant, in treatment, a prescription proposed on 2026-03-15."""
    base: Changes = {
        "programme": "us-ipledge",
        "patient.can_get_pregnant": True,
        "pregnancy_tests": [specimen("2026-03-12", "lab")],
        "contraception": [method("iud_copper"), method("male_condom")],
        "counselling": [counsel("2026-03-10", "comprehension_confirmed")],
        "proposed_prescription": proposed(),
    }
    return {**base, **changes}


def eu(**changes: Any) -> Changes:
    """eu-ppp, can get pregnant, in treatment, a prescription proposed on 2026-03-15."""
    base: Changes = {
        "programme": "eu-ppp",
        "patient.can_get_pregnant": True,
        "pregnancy_tests": [specimen("2026-03-13", "office")],
        "contraception": [method("implant")],
        "counselling": [counsel("2026-01-10", "risk_acknowledged")],
        "proposed_prescription": proposed(),
    }
    return {**base, **changes}


def uk(**changes: Any) -> Changes:
    """uk-mhra: eu-ppp plus a mental-health assessment in the 30 days up to the prescription."""
    base = eu(
        programme="uk-mhra",
        counselling=[
            counsel("2026-01-10", "risk_acknowledged"),
            counsel("2026-03-10", "mental_health_assessed"),
        ],
    )
    return {**base, **changes}


def not_started(prescription_day: str) -> Changes:
    """A course not yet started: the proposed prescription is the first; as_of is its day."""
    return {
        "as_of": prescription_day,
        "course.start_date": DELETE,
        "doses": [],
        "prescriptions": [],
        "dispenses": [],
        "proposed_prescription": proposed(prescription_day),
    }


def us_first(**changes: Any) -> Changes:
    """us-ipledge first prescription on 2026-03-15: screening test 2026-02-20 (office),
    confirmation test 2026-03-12 (lab, 20 days later), contraception since 2026-01-01."""
    base = us(
        **not_started("2026-03-15"),
        pregnancy_tests=[specimen("2026-02-20", "office"), specimen("2026-03-12", "lab")],
        contraception=[method("implant", "2026-01-01"), method("male_condom", "2026-01-01")],
    )
    return {**base, **changes}


def eu_first(programme: str = "eu-ppp", **changes: Any) -> Changes:
    """A first prescription on 2026-03-15 under eu-ppp (or uk-mhra), contraception since
    2026-01-01, risk acknowledged (and mental health assessed) on 2026-03-10."""
    base = eu(
        **not_started("2026-03-15"),
        programme=programme,
        contraception=[method("implant", "2026-01-01")],
        counselling=[
            counsel("2026-03-10", "risk_acknowledged"),
            counsel("2026-03-10", "mental_health_assessed"),
        ],
    )
    return {**base, **changes}


def uk_first_on(day: str, birth_date: str = "2008-06-01", **changes: Any) -> Changes:
    """uk-mhra first prescription written on ``day`` for a patient born ``birth_date``
    (17 in January 2026); tests, contraception and counselling all in order."""
    base = eu(
        **not_started(day),
        programme="uk-mhra",
        pregnancy_tests=[specimen(day, "clinic")],
        contraception=[method("implant", "2020-01-01")],
        counselling=[counsel(day, "risk_acknowledged"), counsel(day, "mental_health_assessed")],
    )
    return {**base, "patient.birth_date": birth_date, **changes}
