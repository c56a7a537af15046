"""What routes receive: the clinic system, the caller, the request's id, day and key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Header, Request
from fastapi.security import OAuth2PasswordBearer

from isocourse.auth.login_throttle import LoginThrottle
from isocourse.auth.tokens import TokenError, read_token
from isocourse.auth.users import signed_in_actor
from isocourse.service.context import Actor, Call, Caller, ClinicSystem
from isocourse.service.denials import denied
from isocourse.service.errors import NotAuthenticated
from isocourse.settings import Settings

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


@dataclass(frozen=True)
class Wiring:
    """Set on ``app.state`` by ``create_app``: everything a request may need."""

    settings: Settings
    system: ClinicSystem
    clock: Callable[[], datetime]
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)

    def now(self) -> datetime:
        return self.clock().astimezone(ZoneInfo(self.settings.timezone))


def wiring(request: Request) -> Wiring:
    found: Wiring = request.app.state.wiring
    return found


# Dependencies that do no I/O are ``async def``: FastAPI runs them on the event loop,
# where a plain ``def`` would cost a hop to a worker thread and back on every request.


async def wiring_dependency(request: Request) -> Wiring:
    return wiring(request)


async def token_user(request: Request, token: Annotated[str | None, Depends(_bearer)]) -> int:
    """The user id in the caller's bearer token, checked (a signature and a clock: no I/O)."""
    wired = wiring(request)
    if not token:
        error = NotAuthenticated("sign in: POST /api/v1/auth/token, then send the bearer token")
        raise denied(error, None, "not_authenticated", "no bearer token")
    secret = wired.settings.secret_key.get_secret_value()
    try:
        return read_token(token, secret=secret, now=wired.now())
    except TokenError as error:
        refused = NotAuthenticated(f"invalid token: {error}")
        raise denied(refused, None, "not_authenticated", f"invalid token: {error}") from error


def current_actor(request: Request, user_id: Annotated[int, Depends(token_user)]) -> Actor:
    with wiring(request).system.store.reading() as session:  # never queues behind the writers
        try:
            return signed_in_actor(session, user_id)
        except NotAuthenticated as error:
            raise denied(error, None, "not_authenticated", error.message) from None


def _call(request: Request, actor: Actor, idempotency_key: str | None) -> Call:
    now = wiring(request).now()
    return Call(
        actor=actor,
        request_id=request.state.request_id,
        today=now.date(),
        now=now,
        idempotency_key=idempotency_key or None,
    )


async def reading_caller(request: Request, user_id: Annotated[int, Depends(token_user)]) -> Caller:
    """For a use case that reads the user in its own snapshot (see ``Caller``)."""
    now = wiring(request).now()
    return Caller(user_id, request.state.request_id, now.date(), now)


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
ReadCaller = Annotated[Caller, Depends(reading_caller)]
WriteCall = Annotated[Call, Depends(writing_call)]
WiringDep = Annotated[Wiring, Depends(wiring_dependency)]
