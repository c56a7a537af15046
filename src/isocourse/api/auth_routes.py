"""``POST /api/v1/auth/token`` (the OAuth2 password flow, answered with a bearer token that
names a new session) and ``POST /api/v1/auth/logout`` (that session ends at once)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.security import OAuth2PasswordRequestForm

from isocourse.api.errors import ERROR_RESPONSES
from isocourse.api.schemas import TokenOut
from isocourse.api.wiring import CurrentSession, WiringDep
from isocourse.auth.tokens import sign_session_id
from isocourse.service.context import Call
from isocourse.service.sign_in import sign_in, sign_out
from isocourse.wiring import client_address

router = APIRouter(
    tags=["auth"],
    responses={
        400: ERROR_RESPONSES[400],
        401: ERROR_RESPONSES[401],
        429: {"description": "too many failed sign-ins: locked for a while (Retry-After)"},
    },
)


@router.post("/auth/token", response_model=TokenOut)
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    wired: WiringDep,
    otp: Annotated[
        str,
        Form(
            max_length=20,
            description="the one-time code of the user's second factor, if they set one up",
        ),
    ] = "",
) -> TokenOut:
    """Sign in with e-mail (as ``username``) and password (and ``otp``, the one-time code,
    for a user with a second factor); use the token as ``Bearer``. Each token is a new
    session; it ends at ``POST /api/v1/auth/logout``, after
    ``ISOCOURSE_SESSION_IDLE_MINUTES`` unused, or ``expires_in`` seconds after now.

    Locked for a while (429) after repeated failures for the account or the address."""
    signed = sign_in(
        wired.system,
        wired.login_throttle,
        wired.session_times,
        email=form.username,
        password=form.password,
        code=otp,
        address=client_address(request),
        now=wired.now(),
        request_id=request.state.request_id,
    )
    access = sign_session_id(signed.session_id, secret=wired.secret)
    lifetime = wired.session_times.lifetime
    return TokenOut(access_token=access, expires_in=int(lifetime.total_seconds()))


@router.post("/auth/logout", status_code=204)
def logout(request: Request, wired: WiringDep, caller: CurrentSession) -> None:
    """End the bearer token's session at once: the token is refused from now on."""
    now = wired.now()
    call = Call(caller.actor, request.state.request_id, now.date(), now)
    sign_out(wired.system, call, caller.key)
