"""Bearer tokens: a user id and an expiry, signed with the settings' secret (HMAC-SHA256).

The user is loaded again at every request, so a removed user's token stops working.

Errors::

    TokenError    malformed, badly signed or expired
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta


class TokenError(ValueError):
    pass


def issue_token(user_id: int, *, secret: str, now: datetime, lifetime: timedelta) -> str:
    claims = {"sub": user_id, "exp": int((now + lifetime).timestamp())}
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{body}.{_b64(_sign(body, secret))}"


def read_token(token: str, *, secret: str, now: datetime) -> int:
    """The user id in a valid token."""
    body, _, signature = token.partition(".")
    try:
        expected = _sign(body, secret)
        if not hmac.compare_digest(_unb64(signature), expected):
            raise TokenError("bad signature")
        claims = json.loads(_unb64(body))
        user_id, expires = claims["sub"], claims["exp"]
    except (ValueError, KeyError, TypeError) as error:
        raise TokenError("malformed token") from error
    if not isinstance(user_id, int) or not isinstance(expires, int):
        raise TokenError("malformed token")
    if now.timestamp() >= expires:
        raise TokenError("expired token")
    return user_id


def _sign(body: str, secret: str) -> bytes:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
