"""``POST /api/v1/auth/token``: the OAuth2 password flow, answered with a bearer token."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from isocourse.api.errors import ERROR_RESPONSES
from isocourse.api.schemas import TokenOut
from isocourse.api.wiring import WiringDep
from isocourse.auth.sign_in import sign_in
from isocourse.auth.tokens import issue_token

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
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, wired: WiringDep
) -> TokenOut:
    """Sign in with e-mail (as ``username``) and password; use the token as ``Bearer``.

    Locked for a while (429) after repeated failures for the account or the address."""
    actor = sign_in(
        wired.system.store,
        wired.login_throttle,
        email=form.username,
        password=form.password,
        address=request.client.host if request.client else "unknown",
        now=wired.now(),
    )
    lifetime = timedelta(minutes=wired.settings.token_minutes)
    secret = wired.settings.secret_key.get_secret_value()
    access = issue_token(actor.user_id, secret=secret, now=wired.now(), lifetime=lifetime)
    return TokenOut(access_token=access, expires_in=int(lifetime.total_seconds()))
