"""The one place where the service layer's errors become HTTP responses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from isocourse.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    Refused,
    ServiceError,
    TooManyAttempts,
)
from isocourse.store.database import DatabaseUnavailable

_STATUS: Final[tuple[tuple[type[ServiceError], int], ...]] = (
    (NotAuthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (InvalidInput, 422),
    (Conflict, 409),
    (TooManyAttempts, 429),
    (ServiceError, 400),
)


class BlockingReasonOut(BaseModel):
    # read from a use case's BlockingReason by its attributes, inside an answer too
    model_config = ConfigDict(from_attributes=True)

    code: str
    severity: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None
    blocking: list[BlockingReasonOut] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


def _describe(text: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": text}


ERROR_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    400: {"description": "the request body could not be read (not JSON)"},
    401: _describe("no valid bearer token"),
    403: _describe("the caller's role may not do this"),
    404: _describe("not found in the caller's clinic (or not the caller's own record)"),
    409: _describe("conflict; a refused prescription or dispense lists the blocking alerts"),
}


DATABASE_UNAVAILABLE: Final = _describe(
    "the database did not answer in time (PostgreSQL); nothing was recorded"
)


def install_error_handler(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)  # type: ignore[arg-type]
    app.add_exception_handler(DatabaseUnavailable, _database_unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]


async def _invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
    """422 naming the field, in the one error shape (plus FastAPI's ``detail`` list). The
    input itself is never echoed: it may not even be JSON (NaN, bytes) and it may be
    someone's health data."""
    problems = [
        {
            "loc": [str(part) for part in problem["loc"]],
            "msg": str(problem["msg"]),
            "type": str(problem["type"]),
        }
        for problem in error.errors()
    ]
    first = problems[0] if problems else {"loc": ["body"], "msg": "invalid request"}
    field = _field_path(first["loc"])
    body = {"code": "INVALID_INPUT", "message": f"{field}: {first['msg']}", "field": field}
    return JSONResponse({"error": body, "detail": problems}, status_code=422)


def _field_path(location: Sequence[str]) -> str:
    """``["body", "entry", "items", "0"]`` -> ``entry.items[0]`` (where the value was)."""
    parts = (
        location[1:]
        if location and location[0] in ("body", "query", "path", "header", "cookie")
        else location
    )
    path = ""
    for part in parts:
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    return path or (location[0] if location else "request")


async def _database_unavailable(_request: Request, error: DatabaseUnavailable) -> JSONResponse:
    message = (
        f"{error}: the request was not carried out and nothing was recorded. Try again in "
        "a moment; if this goes on, tell whoever runs the isocourse server"
    )
    body = {"code": "DATABASE_UNAVAILABLE", "message": message}
    retry = str(max(1, round(error.waited_seconds)))
    return JSONResponse({"error": body}, status_code=503, headers={"Retry-After": retry})


async def _service_error(_request: Request, error: ServiceError) -> JSONResponse:
    status = next(code for kind, code in _STATUS if isinstance(error, kind))
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if isinstance(error, InvalidInput):
        body["field"] = error.field
    if isinstance(error, Refused):
        body["blocking"] = [vars(reason) for reason in error.blocking]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(error, TooManyAttempts):
        headers = {"Retry-After": str(error.retry_after_seconds)}
    return JSONResponse({"error": body}, status_code=status, headers=headers)
