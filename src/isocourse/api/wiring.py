"""What the API's routes receive (FastAPI dependencies): the wiring, the caller, the
request's id, day and key.

The bearer token names a server-side session (:mod:`isocourse.auth.sessions`): its
signature is checked without I/O, the session and its user are read in one indexed read
(the verification reads them in its own statement, see ``Caller``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import OAuth2PasswordBearer

from isocourse.auth.roles import Actor
from isocourse.auth.sessions import SignedIn
from isocourse.auth.tokens import TokenError
from isocourse.errors import NotAuthenticated
from isocourse.service.context import Call, Caller
from isocourse.service.denials import denied
from isocourse.wiring import Wiring, wiring

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


# Dependencies that do no I/O are ``async def``: FastAPI runs them on the event loop,
# where a plain ``def`` would cost a hop to a worker thread and back on every request.


async def wiring_dependency(request: Request) -> Wiring:
    return wiring(request)


async def token_session(
    request: Request, token: Annotated[str | None, Depends(_bearer)]
) -> str:
    """The key of the session the caller's bearer token names, its signature checked
    (no I/O: the session itself is read by the route's use case or :func:`current_actor`)."""
    if not token:
        error = NotAuthenticated("sign in: POST /api/v1/auth/token, then send the bearer token")
        raise denied(error, None, "not_authenticated", "no bearer token")
    try:
        return wiring(request).session_key_of(token)
    except TokenError as error:
        refused = NotAuthenticated(f"invalid token: {error}")
        raise denied(refused, None, "not_authenticated", f"invalid token: {error}") from error


def current_session(request: Request, key: Annotated[str, Depends(token_session)]) -> SignedIn:
    try:
        return wiring(request).signed_in(key)
    except NotAuthenticated as error:  # ended, expired or unknown session
        raise denied(error, None, "not_authenticated", error.message) from None


def current_actor(request: Request, caller: Annotated[SignedIn, Depends(current_session)]) -> Actor:
    return caller.actor


def _call(request: Request, actor: Actor, idempotency_key: str | None) -> Call:
    now = wiring(request).now()
    return Call(
        actor=actor,
        request_id=request.state.request_id,
        today=now.date(),
        now=now,
        idempotency_key=idempotency_key or None,
    )


async def reading_caller(
    request: Request, key: Annotated[str, Depends(token_session)]
) -> Caller:
    """For a use case that reads the session and user in its own snapshot (``Caller``)."""
    wired = wiring(request)
    now = wired.now()
    return Caller(key, request.state.request_id, now.date(), now, wired.session_times.idle)


async def reading_call(request: Request, actor: Annotated[Actor, Depends(current_actor)]) -> Call:
    return _call(request, actor, None)


async def writing_call(
    request: Request,
    actor: Annotated[Actor, Depends(current_actor)],
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            description="A retried request with the same key is answered once, "
            "from the first answer, and records nothing more.",
        ),
    ] = None,
) -> Call:
    return _call(request, actor, idempotency_key)


ReadCall = Annotated[Call, Depends(reading_call)]
CurrentSession = Annotated[SignedIn, Depends(current_session)]
ReadCaller = Annotated[Caller, Depends(reading_caller)]
WriteCall = Annotated[Call, Depends(writing_call)]
WiringDep = Annotated[Wiring, Depends(wiring_dependency)]
