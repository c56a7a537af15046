"""Session tokens: the random id of a server-side session, signed (itsdangerous, HMAC-SHA256
under the settings' secret). The bearer token and the session cookie are such a token.

The token says only *which* session; whether it is still open (not signed out, revoked,
idle or past its lifetime) is read from the database at every request
(:mod:`isocourse.auth.sessions`). Only the canonical encoding is accepted: the token must
be exactly what :func:`sign_session_id` makes of its id, so a token re-encoded with
base64 padding, other slack bits, extra characters or another case is refused even where
the signature library would decode it to the same bytes.

Errors::

    TokenError    malformed, not canonical or badly signed
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from functools import lru_cache
from typing import Final

from itsdangerous import BadSignature, Signer

#: ``secrets.token_urlsafe(32)``: 43 characters of the URL-safe base64 alphabet
SESSION_ID: Final = re.compile(r"[A-Za-z0-9_-]{43}")
_SALT: Final = "isocourse.session"


class TokenError(ValueError):
    pass


def new_session_id() -> str:
    """A random session id (256 bits from :mod:`secrets`)."""
    return secrets.token_urlsafe(32)


def session_key(session_id: str) -> str:
    """What the sessions table keeps of an id: its SHA-256 (the table alone signs no one in)."""
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


def sign_session_id(session_id: str, *, secret: str) -> str:
    return _signer(secret).sign(session_id).decode("ascii")


def read_session_token(token: str, *, secret: str) -> str:
    """The session id a token names, if it is signed with ``secret`` and canonical."""
    try:
        session_id = _signer(secret).unsign(token).decode("ascii")
    except (BadSignature, UnicodeError, ValueError) as error:
        raise TokenError("bad signature") from error
    if not SESSION_ID.fullmatch(session_id):
        raise TokenError("malformed token")
    if not hmac.compare_digest(sign_session_id(session_id, secret=secret), token):
        raise TokenError("not in canonical form")
    return session_id


@lru_cache(maxsize=4)
def _signer(secret: str) -> Signer:
    return Signer(secret, salt=_SALT, key_derivation="hmac", digest_method=hashlib.sha256)
