"""``POST /api/v1/auth/token``: the OAuth2 password flow, answered with a bearer token."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from isocourse.api.errors import ERROR_RESPONSES
from isocourse.api.schemas import TokenOut
from isocourse.api.wiring import WiringDep
from isocourse.auth.tokens import issue_token
from isocourse.auth.users import authenticate

router = APIRouter(tags=["auth"], responses={400: ERROR_RESPONSES[400], 401: ERROR_RESPONSES[401]})


@router.post("/auth/token", response_model=TokenOut)
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], wired: WiringDep) -> TokenOut:
    """Sign in with e-mail (as ``username``) and password; use the token as ``Bearer``."""
    actor = authenticate(wired.system.store, form.username, form.password)
    lifetime = timedelta(minutes=wired.settings.token_minutes)
    secret = wired.settings.secret_key.get_secret_value()
    access = issue_token(actor.user_id, secret=secret, now=wired.now(), lifetime=lifetime)
    return TokenOut(access_token=access, expires_in=int(lifetime.total_seconds()))
