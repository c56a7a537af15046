"""Hypothesis on the remaining parsers of outside input: bearer tokens, typed weights,
the JSON nesting guard and the password policy. Each answers or refuses with its own
error (naming the field where it has one); none raises anything else."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from isocourse.api.request_limits import json_depth_exceeds
from isocourse.auth.password_policy import password_problem
from isocourse.auth.tokens import TokenError, issue_token, read_token
from isocourse.knowledge.loader import load_knowledge
from isocourse.weight_text import weight_kg_from_text

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
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
        read_token(token, secret=SECRET, now=NOW)
        raise AssertionError("a token nobody issued was accepted")


@given(user_id=st.integers(min_value=1, max_value=2**31), flip=st.integers(min_value=0))
def test_a_changed_token_is_refused(user_id: int, flip: int) -> None:
    token = issue_token(user_id, secret=SECRET, now=NOW, lifetime=timedelta(minutes=5))
    assert read_token(token, secret=SECRET, now=NOW) == user_id
    position = flip % len(token)
    changed = token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]
    with contextlib.suppress(TokenError):
        assert read_token(changed, secret=SECRET, now=NOW) == user_id  # base64 slack bits


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
