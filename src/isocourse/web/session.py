"""Page sessions and CSRF protection.

A signed session token (the API's bearer-token format) lives in an HttpOnly cookie.
Every form carries a CSRF token that must equal the ``isocourse_csrf`` cookie
(double submit); htmx sends it as the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from fastapi import Request, Response

from isocourse.api.wiring import Wiring, wiring
from isocourse.auth.tokens import TokenError, issue_token, read_token
from isocourse.auth.users import actor_by_id
from isocourse.service.context import Actor, Call

SESSION_COOKIE = "isocourse_session"
CSRF_COOKIE = "isocourse_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class CsrfRefused(Exception):
    """A form arrived without the page's CSRF token."""


def page_actor(request: Request) -> Actor | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    wired = wiring(request)
    try:
        user_id = read_token(
            token, secret=wired.settings.secret_key.get_secret_value(), now=wired.now()
        )
    except TokenError:
        return None
    with wired.system.store.transaction() as session:
        return actor_by_id(session, user_id)


def page_call(request: Request, actor: Actor) -> Call:
    now = wiring(request).now()
    return Call(actor=actor, request_id=request.state.request_id, today=now.date(), now=now)


def csrf_token(request: Request) -> str:
    """The CSRF token for this browser (made once, kept in a cookie)."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing:
        return existing
    made: str = getattr(request.state, "new_csrf", "") or secrets.token_urlsafe(32)
    request.state.new_csrf = made
    return made


async def check_csrf(request: Request) -> None:
    expected = request.cookies.get(CSRF_COOKIE, "")
    form = await request.form()
    sent = request.headers.get(CSRF_HEADER) or str(form.get(CSRF_FIELD, ""))
    if not expected or not hmac.compare_digest(expected, sent):
        raise CsrfRefused("this form has expired: reload the page and try again")


def _secure(wired: Wiring) -> bool:
    return wired.settings.environment == "production"


def set_cookies(request: Request, response: Response) -> None:
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(
            CSRF_COOKIE, new, httponly=True, samesite="strict", secure=_secure(wiring(request))
        )


def start_session(request: Request, response: Response, actor: Actor) -> None:
    wired = wiring(request)
    lifetime = timedelta(minutes=wired.settings.token_minutes)
    token = issue_token(
        actor.user_id,
        secret=wired.settings.secret_key.get_secret_value(),
        now=wired.now(),
        lifetime=lifetime,
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_secure(wired),
        max_age=int(lifetime.total_seconds()),
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)
