"""``GET /api/v1/schemas/{name}``: the JSON Schemas of the published formats.

Public format documentation: no sign-in needed, no patient data in them.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from isocourse.api.errors import ERROR_RESPONSES
from isocourse.errors import NotFound
from isocourse.formats import SCHEMAS, json_schema

router = APIRouter(tags=["formats"])

SCHEMA_MEDIA_TYPE = "application/schema+json"


@router.get(
    "/schemas/{name}",
    response_class=JSONResponse,
    responses={
        200: {"content": {SCHEMA_MEDIA_TYPE: {}}, "description": "the JSON Schema"},
        404: ERROR_RESPONSES[404] | {"description": "no schema by that name"},
    },
)
def get_schema(name: str) -> JSONResponse:
    """The JSON Schema (draft 2020-12) of ``course-record`` (the input of an evaluation)
    or ``assessment`` (its output); no sign-in needed."""
    if name not in SCHEMAS:
        raise NotFound(f"no schema {name!r}; there are: {', '.join(SCHEMAS)}")
    return JSONResponse(json_schema(name), media_type=SCHEMA_MEDIA_TYPE)
