"""Password hashing with argon2id (argon2-cffi's defaults)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_time(password: str) -> None:
    """Spend as long as a real check, so an unknown e-mail cannot be told by timing."""
    password_matches(_dummy_hash(), password)


@cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")
