"""The work-list puts what needs action today first."""

from __future__ import annotations

from datetime import date

from isocourse.demo_patients import demo_patients, demo_records
from isocourse.knowledge.loader import load_knowledge
from isocourse.record_parser import course_record_from_json
from isocourse.rules import assess
from isocourse.worklist import worklist

TODAY = date(2026, 11, 22)


def demo_assessments() -> list:  # type: ignore[type-arg]
    knowledge = load_knowledge()
    records = [course_record_from_json(d, knowledge, today=TODAY) for d in demo_records(TODAY)]
    return [assess(r, knowledge, as_of=r.as_of) for r in records]


def test_every_demo_patient_is_valid_and_distinct() -> None:
    patients = demo_patients(TODAY)
    assert len(patients) >= 20
    assert len({p.record["patient"]["id"] for p in patients}) == len(patients)
    assert len(demo_assessments()) == len(patients)


def test_stop_alerts_come_before_blocked_prescriptions_and_those_before_clear_patients() -> None:
    rows = worklist(demo_assessments(), TODAY)
    tiers = [row.rank[0] for row in rows]
    assert tiers == sorted(tiers)
    first, last = rows[0].assessment, rows[-1].assessment
    assert any(alert.severity == "stop" for alert in first.alerts)
    assert not any(alert.severity in {"stop", "urgent", "block"} for alert in last.alerts)


def test_each_row_says_why_in_a_few_words() -> None:
    for row in worklist(demo_assessments(), TODAY):
        assert row.reason and len(row.reason) < 200


def test_the_demo_shows_allowed_and_blocked_patients() -> None:
    decisions = {a.patient_id: a.dispense.allowed for a in demo_assessments()}
    assert decisions["demo-01"] is True  # mid-course, nothing to act on
    assert decisions["demo-03"] is False  # positive pregnancy test


def test_reasons_are_worded_from_the_catalogue_titles() -> None:
    from isocourse.worklist import alert_titles

    rows = worklist(demo_assessments(), TODAY, alert_titles(load_knowledge()))
    reasons = " ".join(row.reason for row in rows)
    assert "Thoughts of self-harm on PHQ-9" in reasons
    assert "MOOD_SUICIDAL_IDEATION" not in reasons


def test_each_row_carries_its_tier_in_the_lists_order() -> None:
    from isocourse.worklist import Tier

    rows = worklist(demo_assessments(), TODAY)
    order = list(Tier)
    assert [order.index(row.tier) for row in rows] == [row.rank[0] for row in rows]
    assert {row.tier for row in rows} >= {Tier.STOP, Tier.BLOCK, Tier.CLEAR}
    stop = next(row for row in rows if row.tier is Tier.STOP)
    assert any(alert.severity == "stop" for alert in stop.assessment.alerts)


def test_the_reason_leads_with_its_tier_and_the_detail_leaves_it_out() -> None:
    from isocourse.worklist import Tier

    for row in worklist(demo_assessments(), TODAY):
        assert row.reason.endswith(row.detail)
        if row.tier in (Tier.STOP, Tier.URGENT, Tier.BLOCK, Tier.WARNING):
            assert row.reason == f"{row.tier}: {row.detail}"
        if row.tier in (Tier.WINDOW, Tier.CLEAR):
            assert row.reason == row.detail


def test_every_tier_has_its_words() -> None:
    from isocourse.worklist import Tier

    words = [tier.words for tier in Tier]
    assert all(words) and len(set(words)) == len(words)
    assert Tier.BLOCK.words == "blocked prescription"
