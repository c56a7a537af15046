"""Session tokens: signed with itsdangerous, and only their canonical form is accepted.

itsdangerous alone decodes a signature with base64 padding added, or with other spare
bits in its last character, to the same bytes, and so would accept a token re-encoded
that way (shown first, so the test proves the check it relies on is needed)."""

from __future__ import annotations

import hashlib

import pytest
from itsdangerous import Signer

from isocourse.auth.tokens import (
    SESSION_ID,
    TokenError,
    new_session_id,
    read_session_token,
    session_key,
    sign_session_id,
)

SECRET = "a-secret-for-the-session-token-tests"
SESSION = "Q2FzZS1mb2xkZWQtYW5kLXBhZGRlZC0wMTIzNDU2Nzg"  # 43 characters, as issued


def _library_alone(token: str) -> bytes:
    signer = Signer(
        SECRET, salt="isocourse.session", key_derivation="hmac", digest_method=hashlib.sha256
    )
    return signer.unsign(token)


BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _variants(token: str) -> dict[str, str]:
    value, signature = token.split(".")
    # 32 bytes in 43 characters leave the last one 2 spare bits: the next character of
    # the alphabet decodes to the same bytes
    spare = BASE64[BASE64.index(signature[-1]) + 1]
    return {
        "padding": f"{token}=",
        "double padding": f"{token}==",
        "an extra character": f"{value}.{signature[:5]}!{signature[5:]}",
        "spare bits": f"{value}.{signature[:-1]}{spare}",
        "upper case": token.upper(),
        "a space": f" {token}",
        "a second signature": f"{token}.{signature}",
    }


def test_a_token_names_its_session_and_the_table_keeps_only_a_hash() -> None:
    session_id = new_session_id()
    assert SESSION_ID.fullmatch(session_id)
    token = sign_session_id(session_id, secret=SECRET)
    assert read_session_token(token, secret=SECRET) == session_id
    assert session_key(session_id) == hashlib.sha256(session_id.encode()).hexdigest()
    assert session_id not in session_key(session_id)


def test_the_signature_library_alone_accepts_re_encodings_so_the_canonical_check_is_needed() -> (
    None
):
    variants = _variants(sign_session_id(SESSION, secret=SECRET))
    for kind in ("padding", "spare bits"):
        assert _library_alone(variants[kind]) == SESSION.encode(), kind


@pytest.mark.parametrize("kind", list(_variants(sign_session_id(SESSION, secret=SECRET))))
def test_a_token_re_encoded_non_canonically_is_refused(kind: str) -> None:
    token = sign_session_id(SESSION, secret=SECRET)
    variant = _variants(token)[kind]
    assert variant != token
    with pytest.raises(TokenError):
        read_session_token(variant, secret=SECRET)


def test_a_token_signed_with_another_secret_or_naming_a_malformed_id_is_refused() -> None:
    with pytest.raises(TokenError, match="bad signature"):
        read_session_token(sign_session_id(SESSION, secret="another secret"), secret=SECRET)
    with pytest.raises(TokenError, match="malformed"):
        read_session_token(sign_session_id("short", secret=SECRET), secret=SECRET)
