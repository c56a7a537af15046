"""Course-level numbers: targets, weight rules, course length, second-course gap, mood screens."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourcedNumber:
    __pydantic_config__ = {"extra": "forbid"}
    value: float
    source: str


@dataclass(frozen=True)
class CourseDefaults:
    __pydantic_config__ = {"extra": "forbid"}
    target_mg_per_kg: SourcedNumber
    weight_max_kg: SourcedNumber
    mg_per_day_max: SourcedNumber
    days_supply_max: SourcedNumber
    supply_in_hand_days: SourcedNumber
    open_prescription_days: SourcedNumber
    kg_per_lb: SourcedNumber
    weight_stale_days: SourcedNumber
    usual_course_days: SourcedNumber
    second_course_gap_days: SourcedNumber
    minimum_age_years: SourcedNumber
    nodule_reduction_fraction: SourcedNumber
    phq9_moderate: SourcedNumber
    phq9_severe: SourcedNumber
    phq2_positive: SourcedNumber
    mood_screen_days: SourcedNumber
