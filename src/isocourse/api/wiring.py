"""What routes receive: the clinic system, the caller, the request's id, day and key.

The bearer token names a server-side session (:mod:`isocourse.auth.sessions`): its
signature is checked without I/O, the session and its user are read in one indexed read
(the verification reads them in its own statement, see ``Caller``)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Header, Request
from fastapi.security import OAuth2PasswordBearer

from isocourse.auth.login_throttle import LoginThrottle
from isocourse.auth.sessions import SessionTimes, SignedIn, signed_in, touch_if_due
from isocourse.auth.tokens import TokenError, read_session_token, session_key
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

    @property
    def session_times(self) -> SessionTimes:
        return SessionTimes.of(self.settings)

    def now(self) -> datetime:
        return self.clock().astimezone(ZoneInfo(self.settings.timezone))

    @property
    def secret(self) -> str:
        return self.settings.secret_key.get_secret_value()

    def session_key_of(self, token: str) -> str:
        """The key of the session a token names (signature and form checked, no I/O)."""
        return session_key(read_session_token(token, secret=self.secret))

    def signed_in(self, key: str, *, purpose: str | None = "full") -> SignedIn:
        """The session's caller, read and checked (one indexed read), its last use kept."""
        now = self.now()
        with self.system.store.reading() as session:  # never queues behind the writers
            caller = signed_in(
                session, key, now=now, idle=self.session_times.idle, purpose=purpose
            )
        touch_if_due(self.system.store, caller, now)
        return caller


def client_address(request: Request) -> str:
    """The client's address: the connection's, or, when the connection comes from a
    trusted proxy (``ISOCOURSE_TRUSTED_PROXIES``), the nearest address in
    ``X-Forwarded-For`` that is not one of the trusted proxies (read from the right:
    the entries on the left are whatever the client chose to send)."""
    peer = request.client.host if request.client else "unknown"
    trusted = wiring(request).settings.trusted_proxy_networks()
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
    ]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop if _is_address(hop) else peer
    return peer


def _within(
    address: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def wiring(request: Request) -> Wiring:
    found: Wiring = request.app.state.wiring
    return found


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
