"""Page sessions and CSRF protection.

The session cookie (HttpOnly) carries a signed token naming a server-side session, the
same as an API bearer token (:mod:`isocourse.auth.tokens`); every page reads that
session in the database, so logging out ends it at once.

Every form carries a CSRF token, bound to the session: an HMAC of the session's key under
the server's secret, so a token taken from one session is refused in any other. Before
signing in (the log-in form, an invitation's form) there is no session: the token is a
random value that must equal the ``isocourse_csrf`` cookie (double submit). htmx sends the
token as the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

from isocourse.auth.roles import Actor
from isocourse.auth.sessions import ENROL, FULL, SignedIn
from isocourse.auth.tokens import TokenError, sign_session_id
from isocourse.errors import NotAuthenticated
from isocourse.service.context import Call
from isocourse.service.sign_in import SignedInNow
from isocourse.wiring import Wiring, wiring

SESSION_COOKIE = "isocourse_session"
CSRF_COOKIE = "isocourse_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
#: where a session that must first set up a second factor is sent
SECOND_FACTOR_PAGE = "/account/second-factor"


class CsrfRefused(Exception):
    """A form arrived without the page's CSRF token."""


def cookie_session_key(request: Request) -> str | None:
    """The key of the session the cookie names (signature checked, no I/O), or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return wiring(request).session_key_of(token)
    except TokenError:
        return None


def page_session(request: Request) -> SignedIn | None:
    """The cookie's session, read and checked (once per request), of any purpose."""
    if hasattr(request.state, "page_session"):
        cached: SignedIn | None = request.state.page_session
        return cached
    key = cookie_session_key(request)
    found = None
    if key is not None:
        try:
            found = wiring(request).signed_in(key, purpose=None)
        except NotAuthenticated:
            found = None
    request.state.page_session = found
    return found


def page_actor(request: Request) -> Actor | None:
    """The signed-in user of a full session (a set-up-only session is nobody here)."""
    found = page_session(request)
    return found.actor if found is not None and found.purpose == FULL else None


def must_set_up_second_factor(request: Request) -> bool:
    found = page_session(request)
    return found is not None and found.purpose == ENROL


def page_call(request: Request, actor: Actor) -> Call:
    now = wiring(request).now()
    return Call(actor=actor, request_id=request.state.request_id, today=now.date(), now=now)


def csrf_token(request: Request) -> str:
    """The CSRF token for this page: bound to the session, or (signed out) the browser's
    random cookie value (made once, kept in a cookie)."""
    key = cookie_session_key(request)
    if key is not None:
        return _bound(wiring(request), key)
    existing = request.cookies.get(CSRF_COOKIE)
    if existing:
        return existing
    made: str = getattr(request.state, "new_csrf", "") or secrets.token_urlsafe(32)
    request.state.new_csrf = made
    return made


def _bound(wired: Wiring, key: str) -> str:
    digest = hmac.new(wired.secret.encode(), f"csrf:{key}".encode(), hashlib.sha256)
    return digest.hexdigest()


async def check_csrf(request: Request) -> None:
    key = cookie_session_key(request)
    expected = _bound(wiring(request), key) if key else request.cookies.get(CSRF_COOKIE, "")
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


def start_session(request: Request, response: Response, signed: SignedInNow) -> None:
    wired = wiring(request)
    token = sign_session_id(signed.session_id, secret=wired.secret)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_secure(wired),
        max_age=int(wired.session_times.lifetime.total_seconds()),
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)
