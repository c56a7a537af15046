"""The published JSON formats, as JSON Schema (draft 2020-12) generated from the model.

- ``course-record``: the input, ``isocourse.course/1``, generated from
  :class:`isocourse.record.CourseRecord` (what the record parser validates against);
  ``as_of`` may be left out (the clinic's today fills it); ``programme`` lists the
  programme ids of the knowledge (``programmes.toml``) and ``none``.
- ``assessment``: the output, ``isocourse.assessment/1``, generated from
  :class:`AssessmentJson`, the JSON form :meth:`isocourse.assessment.Assessment.to_json`
  writes (a test validates every assessment the tests produce against it).

A schema says what is well formed; the parser also refuses what is well formed but
wrong (an unknown product, an impossible weight, a PHQ item above 3 ...): see
``docs/course-record.md``. ``isocourse schema NAME`` prints a schema, ``GET
/api/v1/schemas/NAME`` serves it, and ``isocourse schema --write docs/schemas`` refreshes
the copies in the documentation (a test fails when they drift).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, NotRequired

from pydantic import ConfigDict, PlainSerializer, TypeAdapter, WithJsonSchema, with_config
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from isocourse.assessment import ASSESSMENT_FORMAT, Severity
from isocourse.record import COURSE_FORMAT, CourseRecord

if TYPE_CHECKING:
    from isocourse.knowledge.model import Knowledge

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
_CLOSED = ConfigDict(extra="forbid")


# The assessment's JSON form, as ``assessment_to_json`` writes it. When the assessment
# gets a serializer of its own, generate from that instead (``_assessment_type``).


def _whole(value: float) -> float | int:
    return int(value) if isinstance(value, float) and value.is_integer() else value


#: a number the assessment's form prints as an integer when it is whole (``60``, not
#: ``60.0``): a dose in mg, a cumulative or target mg/kg. So a form read back by this
#: type (the API's answers are) prints as ``assessment_to_json`` wrote it.
WholeNumber = Annotated[
    float,
    PlainSerializer(_whole, return_type=Any, when_used="json"),
    WithJsonSchema({"type": "number"}, mode="serialization"),
]


@with_config(_CLOSED)
class DoseJson(TypedDict):
    mg_per_day: WholeNumber | None
    mg_per_kg_per_day: float | None


@with_config(_CLOSED)
class CumulativeJson(TypedDict):
    mg: WholeNumber
    mg_per_kg: float | None
    target_mg_per_kg: WholeNumber
    fraction: float | None
    days_on_treatment: int
    projected_completion: date | None


@with_config(_CLOSED)
class DispenseJson(TypedDict):
    allowed: bool
    blocking: list[str]
    window_closes: date | None


@with_config(_CLOSED)
class AlertJson(TypedDict):
    code: str
    severity: Severity
    message: str
    source: str
    since: NotRequired[date]
    subject: NotRequired[str]


@with_config(_CLOSED)
class DueJson(TypedDict):
    task: str
    due: date
    overdue: bool


@with_config(_CLOSED)
class CheckJson(TypedDict):
    condition: str
    holds: bool
    evidence: str
    source: str


@with_config(_CLOSED)
class AssessmentJson(TypedDict):
    format: Literal["isocourse.assessment/1"]
    as_of: date
    patient_id: str
    weight_kg: float | None
    dose: DoseJson
    cumulative: CumulativeJson
    dispense: DispenseJson
    alerts: list[AlertJson]
    due: list[DueJson]
    explain: NotRequired[list[CheckJson]]


def _course_record(knowledge: Knowledge) -> dict[str, Any]:
    schema = TypeAdapter(CourseRecord).json_schema(mode="validation")
    # the parser fills a missing as_of with the clinic's today
    schema["required"] = [name for name in schema["required"] if name != "as_of"]
    # the parser takes the programmes from the knowledge: so does the schema
    schema["properties"]["programme"] = {
        "enum": list(knowledge.programmes.choices()),
        "title": "Programme",
        "type": "string",
    }
    return _published(
        schema,
        name="course-record",
        title=f"isocourse course record ({COURSE_FORMAT})",
        description="Everything known about one patient's isotretinoin course up to a day: "
        "the input of `isocourse evaluate` and `POST /api/v1/evaluate`. Dates are ISO "
        "calendar dates (YYYY-MM-DD). Beyond this schema the parser refuses values that are "
        "well formed but wrong (unknown products, implausible weights ...); see "
        "docs/course-record.md.",
    )


def _assessment(knowledge: Knowledge) -> dict[str, Any]:
    schema = TypeAdapter(_assessment_type()).json_schema(mode="serialization")
    return _published(
        schema,
        name="assessment",
        title=f"isocourse assessment ({ASSESSMENT_FORMAT})",
        description="The clinical core's answer for one course record on one day: dose, "
        "cumulative mg/kg, the prescribe/dispense decision, alerts with their sources, "
        "due tasks and, with explain, the programme conditions. Supports a clinician's "
        "decision; does not replace it. See docs/course-record.md.",
    )


def _assessment_type() -> Any:
    return AssessmentJson


def _published(
    schema: dict[str, Any], *, name: str, title: str, description: str
) -> dict[str, Any]:
    return {
        "$schema": DIALECT,
        "$id": f"urn:isocourse:schema:{name}",
        **schema,
        "title": title,
        "description": description,
    }


#: schema name -> its generator (the names of the command and of the URL)
SCHEMAS: Final[dict[str, Callable[[Knowledge], dict[str, Any]]]] = {
    "course-record": _course_record,
    "assessment": _assessment,
}


def json_schema(name: str, knowledge: Knowledge | None = None) -> dict[str, Any]:
    """The JSON Schema named ``name`` (a key of :data:`SCHEMAS`; KeyError otherwise), for
    ``knowledge`` (by default the packaged knowledge, whose schemas are made once)."""
    if knowledge is None:
        return _packaged_schema(name)
    return SCHEMAS[name](knowledge)


@cache
def _packaged_schema(name: str) -> dict[str, Any]:
    from isocourse.knowledge.loader import load_knowledge

    return SCHEMAS[name](load_knowledge())


def schema_text(name: str, knowledge: Knowledge | None = None) -> str:
    """The schema as the documentation keeps it (UTF-8 JSON, two-space indent)."""
    import json

    return json.dumps(json_schema(name, knowledge), indent=2, ensure_ascii=False) + "\n"


def schema_file_name(name: str) -> str:
    return f"{name}.schema.json"
