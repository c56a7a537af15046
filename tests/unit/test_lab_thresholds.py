"""The lab thresholds are one table: its checks at start-up, the upper limit of normal,
and the chart lines drawn from it (the alerts themselves: tests/unit/test_labs.py)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from isocourse.knowledge.labs import LabThreshold, upper_limit_of_normal
from isocourse.knowledge.loader import load_knowledge
from isocourse.knowledge.model import Knowledge
from isocourse.record import LabResult
from isocourse.reports.lab_series import lab_series
from isocourse.rules import assess
from tests.builders import BASE, record

KNOWLEDGE = load_knowledge()


def with_threshold(code: str, **fields: Any) -> Knowledge:
    """The packaged knowledge with one threshold added or changed."""
    thresholds = dict(KNOWLEDGE.labs.thresholds)
    if code in thresholds:
        thresholds[code] = dataclasses.replace(thresholds[code], **fields)
    else:
        thresholds[code] = LabThreshold(**fields)
    labs = dataclasses.replace(KNOWLEDGE.labs, thresholds=thresholds)
    return dataclasses.replace(KNOWLEDGE, labs=labs)


def problems(knowledge: Knowledge) -> list[str]:
    return knowledge.labs.problems(knowledge)


GLUCOSE = {
    "tests": ("glucose",),
    "comparison": "above",
    "level": "high",
    "source": "x [isocourse-rules]",
}


def test_the_packaged_thresholds_have_no_problems() -> None:
    assert problems(KNOWLEDGE) == []


@pytest.mark.parametrize(
    ("code", "fields", "expected"),
    [
        ("LAB_TG_HIGH", {"tests": ("bilirubin",)}, "unknown test 'bilirubin'"),
        ("LAB_TG_HIGH", {"tests": ()}, "names no test"),
        ("LAB_TG_HIGH", {"uln_multiple": 3.0}, "either limit or uln_multiple"),
        ("LAB_TG_HIGH", {"limit": None}, "either limit or uln_multiple"),
        ("LAB_TG_HIGH", {"limit": 0.0}, "the limit must be above 0"),
        ("LAB_TG_HIGH", {"tests": ("triglycerides", "alt")}, "different canonical units"),
        ("LAB_NO_SUCH_ALERT", {**GLUCOSE, "limit": 300.0}, "not in the alert catalogue"),
        # glucose has no default upper limit of normal to multiply
        ("LAB_TG_HIGH", {**GLUCOSE, "limit": None, "uln_multiple": 2.0}, "no default"),
        # LAB_TG_HIGH's message names {result} and {date}: one test only
        ("LAB_TG_HIGH", {"tests": ("triglycerides", "ldl")}, "names {date}"),
        # LAB_TG_SEVERE without its milder threshold listed
        ("LAB_TG_SEVERE", {"in_addition_to": ()}, "list LAB_TG_HIGH in its in_addition_to"),
        # a relation that does not hold: TG_HIGH is not past TG_SEVERE
        ("LAB_TG_HIGH", {"in_addition_to": ("LAB_TG_SEVERE",)}, "not always past"),
        ("LAB_TG_SEVERE", {"in_addition_to": ("LAB_TG_HIGH", "LAB_X")}, "LAB_X, which is no"),
    ],
)
def test_a_threshold_the_rules_cannot_apply_is_refused(
    code: str, fields: dict[str, Any], expected: str
) -> None:
    found = problems(with_threshold(code, **fields))
    assert any(expected in problem for problem in found), found


def test_a_uln_threshold_message_may_not_name_the_uln_of_a_fixed_limit() -> None:
    # LAB_ALT_HIGH's message names {multiple} and {uln}: it needs a multiple of the ULN
    changed = with_threshold("LAB_ALT_HIGH", uln_multiple=None, limit=200.0)
    found = problems(changed)
    assert any("names {multiple}" in p for p in found) and any("names {uln}" in p for p in found)


def test_equal_limits_are_implied_only_by_the_stricter_comparison() -> None:
    at = LabThreshold(("ck",), "at_or_above", "a", "s", uln_multiple=5)
    above = LabThreshold(("ck",), "above", "b", "s", uln_multiple=5)
    assert above.implies(at) and not at.implies(above)
    assert not at.implies(LabThreshold(("alt",), "at_or_above", "c", "s", uln_multiple=5))
    assert not at.implies(LabThreshold(("ck",), "at_or_above", "d", "s", limit=5))


# --- the upper limit of normal: one function decides --------------------------------


def result(reference_high: float | None, unit: str = "U/L") -> LabResult:
    return LabResult(date(2026, 3, 1), "alt", 50, unit, reference_high=reference_high)


@pytest.mark.parametrize(
    ("reference_high", "unit", "expected"),
    [
        (45, "U/L", (45, True)),  # the lab's own wins
        (0.5, "ukat/L", (30, True)),  # converted with the result's unit
        (None, "U/L", (40, False)),  # else the knowledge's default
        (0, "U/L", (40, False)),  # a limit of 0 is no limit
        (-3, "U/L", (40, False)),
    ],
)
def test_the_upper_limit_of_normal(
    reference_high: float | None, unit: str, expected: tuple[float, bool]
) -> None:
    found = upper_limit_of_normal(result(reference_high, unit), KNOWLEDGE.labs.by_name("alt"))
    assert found is not None
    assert (pytest.approx(found.value), found.labs_own) == expected


def test_a_test_without_a_default_has_no_upper_limit_but_the_labs() -> None:
    glucose = KNOWLEDGE.labs.by_name("glucose")
    assert (
        upper_limit_of_normal(LabResult(date(2026, 3, 1), "glucose", 90, "mg/dL"), glucose) is None
    )


# --- the chart lines come from the same table -----------------------------------------


def lines(labs: list[dict[str, Any]], test: str, knowledge: Knowledge = KNOWLEDGE) -> list[Any]:
    course = record(labs=[*BASE["labs"], *labs])
    (series,) = [s for s in lab_series(course, knowledge) if s.test_name == test]
    return [(t.value, t.label, t.alert) for t in series.thresholds]


def lab(test: str, value: float, day: str = "2026-03-01", **extra: Any) -> dict[str, Any]:
    return {"date": day, "test": test, "value": value, "unit": "U/L", **extra}


def test_the_ck_chart_draws_its_threshold_over_the_default_upper_limit() -> None:
    assert lines([lab("ck", 300)], "ck") == [
        (200, "ULN 200", ""),
        (1000, "5 × ULN (1000)", "LAB_CK_HIGH"),
    ]


def test_the_ast_chart_draws_both_of_its_thresholds() -> None:
    assert lines([lab("ast", 50, reference_high=30)], "ast") == [
        (30, "ULN 30", ""),
        (90, "3 × ULN (90)", "LAB_AST_HIGH"),
        (150, "5 × ULN (150)", "LAB_LIVER_SEVERE"),
    ]


def test_the_chart_uses_the_upper_limit_the_rules_apply_to_the_latest_result() -> None:
    # the latest ALT gives no range: the rules judge it against the default 40 U/L
    labs = [lab("alt", 30, "2026-02-01", reference_high=60), lab("alt", 35, "2026-03-01")]
    assert lines(labs, "alt")[0] == (40, "ULN 40", "")


def test_a_test_without_thresholds_has_no_lines_even_with_the_labs_range() -> None:
    glucose = {"date": "2026-03-01", "test": "glucose", "value": 90, "unit": "mg/dL"}
    assert lines([{**glucose, "reference_high": 100}], "glucose") == []


def test_a_changed_threshold_moves_the_line_and_the_alert_together() -> None:
    changed = with_threshold("LAB_TG_HIGH", limit=400.0)
    assert lines([], "triglycerides", changed)[:1] == [(400, "high 400", "LAB_TG_HIGH")]
    tg = {"date": "2026-03-01", "test": "triglycerides", "value": 420, "unit": "mg/dL"}
    course = record(labs=[*BASE["labs"], tg])
    assert "LAB_TG_HIGH" in {a.code for a in assess(course, changed, as_of=course.as_of).alerts}
    assert "LAB_TG_HIGH" not in {
        a.code for a in assess(course, KNOWLEDGE, as_of=course.as_of).alerts
    }
