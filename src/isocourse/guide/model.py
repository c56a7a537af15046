"""What a guide is fitted to: the options, and the personal dates from an assessment.

``guide_options_from_record(record, assessment)`` fits the guide to one patient: their
product, programme and pregnancy category, and the dates the assessment found. The
guide prints those dates exactly as the assessment states them, never its own.

Errors::

    GuideError        an option names no known product, programme or section
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

from isocourse.assessment import Assessment, Due
from isocourse.record import CourseRecord

Audience = Literal["patient", "clinician"]
PregnancyCategory = Literal["can_get_pregnant", "cannot_get_pregnant", "unknown"]
CATEGORIES: tuple[PregnancyCategory, ...] = get_args(PregnancyCategory)


class GuideError(Exception):
    """An option names no known product, programme, audience or category."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message


@dataclass(frozen=True)
class PersonalDates:
    """The dates and figures of one patient's assessment, as the assessment states them."""

    patient_id: str
    as_of: date
    dispense_allowed: bool
    window_closes: date | None
    due: tuple[Due, ...]
    projected_completion: date | None
    target_mg_per_kg: float
    cumulative_mg_per_kg: float | None


@dataclass(frozen=True)
class GuideOptions:
    """What the guide is fitted to. ``as_of`` picks the programme rules in force."""

    product: str
    programme: str  # a programme id of the knowledge, or none
    category: PregnancyCategory
    as_of: date
    audience: Audience = "patient"
    personal: PersonalDates | None = None


def category_of(can_get_pregnant: bool | None) -> PregnancyCategory:
    """The pregnancy category for a yes / no / not-recorded answer."""
    if can_get_pregnant is None:
        return "unknown"
    return "can_get_pregnant" if can_get_pregnant else "cannot_get_pregnant"


def guide_options_from_record(
    record: CourseRecord, assessment: Assessment, audience: Audience = "patient"
) -> GuideOptions:
    """Fit the guide to a course record and its assessment (dates from ``assessment``)."""
    cumulative = assessment.cumulative
    personal = PersonalDates(
        patient_id=assessment.patient_id,
        as_of=assessment.as_of,
        dispense_allowed=assessment.dispense.allowed,
        window_closes=assessment.dispense.window_closes,
        due=assessment.due,
        projected_completion=cumulative.projected_completion,
        target_mg_per_kg=cumulative.target_mg_per_kg,
        cumulative_mg_per_kg=cumulative.mg_per_kg,
    )
    return GuideOptions(
        product=record.course.product,
        programme=record.programme,
        category=category_of(record.patient.can_get_pregnant),
        as_of=assessment.as_of,
        audience=audience,
        personal=personal,
    )
