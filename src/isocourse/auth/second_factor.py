"""The optional second factor: time-based one-time codes (TOTP, RFC 6238) with pyotp.

A user sets it up on the web page: the server makes a random secret, shows it as a QR
code (an SVG made here by segno: nothing is fetched from anywhere) and keeps it only once
the user has typed a code from their app. A code is accepted within one 30-second step
either side of the server's clock, and each step once (``users.totp_last_step``): a code
seen over a shoulder cannot be used again.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime
from typing import Final

import pyotp
from sqlalchemy.orm import Session

from isocourse.store.tables import UserRow
from isocourse.store.users import mark_step_used

ISSUER: Final = "isocourse"
_CODE: Final = re.compile(r"\d{6}")
#: a key as ``new_secret`` makes it: 32 base32 characters (160 bits)
_SECRET: Final = re.compile(r"[A-Z2-7]{32}")


def new_secret() -> str:
    return pyotp.random_base32()


def is_secret(text: str) -> bool:
    """Whether ``text`` is a key as ``new_secret`` makes it (the set-up form sends back
    the key it showed; anything else is not one)."""
    return _SECRET.fullmatch(text) is not None


def provisioning_uri(secret: str, email: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as a QR code: an inline SVG element (no XML declaration)."""
    import segno  # only this page needs it

    return str(segno.make(uri, error="m").svg_inline(scale=4, title="QR code for your app"))


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code ``code`` is (this one or one either side), or None."""
    typed = code.replace(" ", "").strip()
    if not _CODE.fullmatch(typed):
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for candidate in (step - 1, step, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), typed):
            return candidate
    return None


def consume_step(session: Session, user_id: int, step: int) -> bool:
    """Mark ``step`` used for the user; False if it (or a later one) already was."""
    return mark_step_used(session, user_id, step)


def enrol(session: Session, row: UserRow, secret: str, code: str, now: datetime) -> bool:
    """Keep ``secret`` as the user's second factor if ``code`` is its current code."""
    step = matching_step(secret, code, now)
    if step is None:
        return False
    row.totp_secret = secret
    row.totp_last_step = step
    session.flush()
    return True
