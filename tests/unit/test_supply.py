"""One supply at a time: PRESCRIPTION_OPEN and SUPPLY_IN_HAND (every programme)."""

from __future__ import annotations

from typing import Any

from isocourse.knowledge.loader import load_knowledge
from isocourse.rules.supply import filled_prescriptions, open_prescriptions
from tests.builders import BASE, AlertCase, codes, evaluate, record

WRITTEN = BASE["prescriptions"][0]  # 2026-02-14, 30 days, 60 mg; dispensed 2026-02-15


def rx(day: str, **extra: Any) -> dict[str, Any]:
    return {"date": day, "days_supply": 30, "mg_per_day": 60, **extra}


def proposed(day: str) -> dict[str, Any]:
    return {"proposed_prescription": rx(day)}


ALERT_CASES = [
    AlertCase(
        "PRESCRIPTION_OPEN",
        fires={"prescriptions": [WRITTEN, rx("2026-03-10")]},
        quiet={"prescriptions": [WRITTEN, rx("2026-03-10", cancelled="2026-03-12")]},
        severity="block",
    ),
    AlertCase(
        "PRESCRIPTION_OPEN",
        label="30-days-under-none",
        # not dispensed, written 2026-02-20: dispensable through 2026-03-21 under none
        fires={"prescriptions": [WRITTEN, rx("2026-02-20")], "as_of": "2026-03-21"},
        quiet={"prescriptions": [WRITTEN, rx("2026-02-20")], "as_of": "2026-03-22"},
    ),
    AlertCase(
        "SUPPLY_IN_HAND",
        # the supply of 2026-02-15 (30 days) runs out on 2026-03-17
        fires=proposed("2026-03-09"),  # 8 days before
        quiet=proposed("2026-03-10"),  # 7 days before
        severity="block",
    ),
]


def test_the_proposed_prescription_is_not_open_against_itself() -> None:
    itself = rx("2026-03-15")
    assessment = evaluate(prescriptions=[WRITTEN, itself], proposed_prescription=itself)
    assert "PRESCRIPTION_OPEN" not in codes(assessment)
    second = evaluate(prescriptions=[WRITTEN, itself, itself], proposed_prescription=itself)
    assert "PRESCRIPTION_OPEN" in codes(second)  # a second, identical one is another


def test_a_prescription_named_by_id_is_told_apart_from_its_twin() -> None:
    first, twin = rx("2026-03-15", id="rx-1"), rx("2026-03-15", id="rx-2")
    assessment = evaluate(
        prescriptions=[WRITTEN, first, twin], proposed_prescription={**first, "id": "rx-1"}
    )
    (alert,) = [a for a in assessment.alerts if a.code == "PRESCRIPTION_OPEN"]
    assert "rx-2" in alert.message and "rx-1" not in alert.message
    assert not assessment.dispense.allowed


def test_an_open_prescription_blocks_a_new_one_with_its_date_in_plain_words() -> None:
    assessment = evaluate(prescriptions=[WRITTEN, rx("2026-03-10")], **proposed("2026-03-15"))
    (alert,) = [a for a in assessment.alerts if a.code == "PRESCRIPTION_OPEN"]
    assert "2026-03-10" in alert.message and "cancel" in alert.message
    assert "PRESCRIPTION_OPEN" in assessment.dispense.blocking


def test_a_dispense_fills_the_prescription_it_names() -> None:
    course = record(
        prescriptions=[rx("2026-03-01", id="a"), rx("2026-03-05", id="b")],
        dispenses=[{"date": "2026-03-06", "days_supply": 30, "prescription_id": "a"}],
    )
    assert filled_prescriptions(course) == {0}
    assert [p.id for p in open_prescriptions(course, load_knowledge(), course.as_of)] == ["b"]


def test_a_dispense_without_an_id_fills_the_latest_prescription_before_it() -> None:
    course = record(
        prescriptions=[rx("2026-03-01"), rx("2026-03-05"), rx("2026-03-12")],
        dispenses=[{"date": "2026-03-06", "days_supply": 30}],
    )
    assert filled_prescriptions(course) == {1}


def test_under_ipledge_an_open_prescription_lapses_when_its_window_closes() -> None:
    # can get pregnant, us-ipledge: the window runs 7 days from the qualifying specimen
    changes: dict[str, Any] = {
        "programme": "us-ipledge",
        "patient.can_get_pregnant": True,
        "pregnancy_tests": [
            {"date": "2026-03-02", "result": "negative", "method": "urine", "setting": "lab"}
        ],
        "prescriptions": [WRITTEN, rx("2026-03-04")],
    }
    assert "PRESCRIPTION_OPEN" in codes(evaluate(**changes, as_of="2026-03-08"))  # 2 .. 8
    assert "PRESCRIPTION_OPEN" not in codes(evaluate(**changes, as_of="2026-03-09"))


def test_a_cancellation_after_as_of_does_not_count_yet() -> None:
    changes = {"prescriptions": [WRITTEN, rx("2026-03-10", cancelled="2026-03-20")]}
    assert "PRESCRIPTION_OPEN" in codes(evaluate(**changes))


def test_supply_in_hand_leaves_out_the_dispense_of_the_proposed_prescription() -> None:
    # verifying again after the prescription's own dispense: its own supply is no reason
    changes = {
        "prescriptions": [WRITTEN],
        "dispenses": [
            {"date": "2026-02-15", "days_supply": 30},
            {"date": "2026-03-15", "days_supply": 30, "prescription_id": "rx-9"},
        ],
        "proposed_prescription": rx("2026-03-14", id="rx-9"),
    }
    assert "SUPPLY_IN_HAND" not in codes(evaluate(**changes))
    changes["proposed_prescription"] = rx("2026-03-14", id="rx-10")
    assert "SUPPLY_IN_HAND" in codes(evaluate(**changes))
