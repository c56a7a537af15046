"""Signing in through the throttle: the one door for the API's token and the web log-in."""

from __future__ import annotations

from datetime import datetime

from isocourse.auth.login_throttle import LoginThrottle
from isocourse.auth.users import authenticate
from isocourse.service.context import Actor
from isocourse.service.errors import NotAuthenticated, TooManyAttempts
from isocourse.store.database import Store


def sign_in(
    store: Store,
    throttle: LoginThrottle,
    *,
    email: str,
    password: str,
    address: str,
    now: datetime,
) -> Actor:
    """The actor for these credentials; TooManyAttempts while the account or address is locked."""
    wait_seconds = throttle.seconds_locked(email, address, now)
    if wait_seconds:
        raise TooManyAttempts(
            f"too many failed sign-ins: try again in {wait_seconds} seconds",
            retry_after_seconds=wait_seconds,
        )
    try:
        actor = authenticate(store, email, password)
    except NotAuthenticated:
        throttle.failed(email, address, now)
        raise
    throttle.succeeded(email)
    return actor
