"""Hypothesis on the remaining parsers of outside input: bearer tokens, typed weights,
the JSON nesting guard and the password policy. Each answers or refuses with its own
error (naming the field where it has one); none raises anything else."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from isocourse.api.request_limits import json_depth_exceeds
from isocourse.auth.password_policy import password_problem
from isocourse.auth.tokens import TokenError, new_session_id, read_session_token, sign_session_id
from isocourse.knowledge.loader import load_knowledge
from isocourse.weight_text import weight_kg_from_text

SECRET = "a-secret-for-the-token-properties"
KNOWLEDGE = load_knowledge()
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:'),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=30,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


@given(token=st.text(max_size=300))
def test_any_text_as_a_token_is_refused_with_a_token_error(token: str) -> None:
    with contextlib.suppress(TokenError):
        read_session_token(token, secret=SECRET)
        raise AssertionError("a token nobody issued was accepted")


@given(flip=st.integers(min_value=0), seed=st.randoms(use_true_random=False))
def test_any_changed_character_of_a_token_is_refused(flip: int, seed: Any) -> None:
    """No slack: a token that differs from the issued one in any character is refused,
    even where base64 would decode it to the same bytes (its last character's spare bits)."""
    session_id = new_session_id()
    token = sign_session_id(session_id, secret=SECRET)
    assert read_session_token(token, secret=SECRET) == session_id
    position = flip % len(token)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="
    other = seed.choice([c for c in alphabet if c != token[position]])
    changed = token[:position] + other + token[position + 1 :]
    with contextlib.suppress(TokenError):
        read_session_token(changed, secret=SECRET)
        raise AssertionError(f"a changed token was accepted: {changed!r}")


@given(text=st.text(max_size=60))
def test_any_weight_text_is_a_weight_or_a_value_error_naming_the_field(text: str) -> None:
    try:
        weight_kg = weight_kg_from_text(text, KNOWLEDGE)
    except ValueError as error:
        assert str(error).startswith("weight:")
    else:
        assert weight_kg > 0


@given(value=JSON, limit=st.integers(min_value=0, max_value=8))
def test_the_nesting_guard_measures_the_true_depth(value: Any, limit: int) -> None:
    body = json.dumps(value).encode()
    assert json_depth_exceeds(body, limit) == (depth(value) > limit)


@given(password=st.text(max_size=300), email=st.emails())
def test_the_password_policy_answers_any_password(password: str, email: str) -> None:
    problem = password_problem(password, email=email)
    if problem is None:
        assert 12 <= len(password) <= 256
        assert email.casefold() not in password.casefold()
