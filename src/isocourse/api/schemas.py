"""Request bodies of the API (pydantic at the edge). Course records themselves are
validated by the course-record parser, which names the offending field."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Body, Query
from pydantic import BaseModel, ConfigDict, Field

from isocourse.record import EARLIEST_DAY, LATEST_DAY
from isocourse.service.prescribing import DAYS_SUPPLY_MAX, MG_PER_DAY_MAX, REASON_MAX
from isocourse.service.recording import RECORDABLE_KINDS

EventKind = Literal[RECORDABLE_KINDS]  # type: ignore[valid-type]

COURSE_RECORD_EXAMPLE: dict[str, Any] = {
    "format": "isocourse.course/1",
    "as_of": "2026-03-15",
    "programme": "none",
    "patient": {"id": "p-001", "birth_date": "2000-05-01"},
    "weights": [{"date": "2026-01-10", "value": 62, "unit": "kg"}],
    "course": {"product": "isotretinoin", "start_date": "2026-01-15"},
    "doses": [{"start": "2026-01-15", "end": None, "mg_per_day": 40}],
}


def day_query(description: str) -> Any:
    """A date query parameter inside the calendar a record may speak of (else 422)."""
    return Query(
        description=f"{description} (1900-01-01 to 2100-12-31)",
        ge=EARLIEST_DAY,  # type: ignore[arg-type]  # pydantic compares dates too
        le=LATEST_DAY,  # type: ignore[arg-type]
    )


#: the day evaluated, as a query parameter
AsOf = Annotated[date | None, day_query("the day evaluated; default: today")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventIn(_Strict):
    kind: EventKind = Field(description="what happened; `entry` is its course-record element")
    entry: dict[str, Any] = Field(
        description="the element as in the course-record format, e.g. a lab result "
        '`{"date": "2026-03-01", "test": "alt", "value": 31, "unit": "U/L"}`; '
        'for `programme`: `{"programme": "eu-ppp"}`'
    )


class CorrectionIn(_Strict):
    event_id: str = Field(max_length=36, description="the event entered in error")
    reason: str = Field(min_length=1, max_length=REASON_MAX)


class PrescriptionIn(_Strict):
    days_supply: int = Field(
        ge=1, le=DAYS_SUPPLY_MAX, description=f"whole days, 1 to {DAYS_SUPPLY_MAX}"
    )
    mg_per_day: float = Field(
        gt=0,
        le=MG_PER_DAY_MAX,
        allow_inf_nan=False,
        description=f"above 0, at most {MG_PER_DAY_MAX}",
    )


class CancellationIn(_Strict):
    reason: str = Field(min_length=1, max_length=REASON_MAX, description="why it is cancelled")


class DispenseIn(_Strict):
    birth_date: date = Field(
        ge=EARLIEST_DAY,
        le=LATEST_DAY,
        description="the patient's date of birth, as on the prescription",
    )


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


#: a request body holding one course record (format isocourse.course/1)
CourseRecordBody = Annotated[
    dict[str, Any],
    Body(
        description="a course record, format isocourse.course/1", examples=[COURSE_RECORD_EXAMPLE]
    ),
]
