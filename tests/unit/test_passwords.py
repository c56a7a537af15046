"""The product's password hashing at its real cost, tested once (the rest of the suite
hashes at argon2's cheapest: tests/conftest.py)."""

from __future__ import annotations

import pytest
from argon2 import Parameters, Type, extract_parameters

from isocourse.auth import passwords
from tests.conftest import CHEAP

#: RFC 9106 (IRTF, September 2021) §4 "Parameter Choice", the SECOND RECOMMENDED option,
#: for less memory than its first's 2 GiB: Argon2id, t=3 iterations, p=4 lanes,
#: m=2^16 KiB (64 MiB), 128-bit salt, 256-bit tag.
#: https://www.rfc-editor.org/rfc/rfc9106#section-4 (argon2-cffi's default profile).
RFC_9106_SECOND_OPTION = Parameters(
    type=Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=3,
    memory_cost=65536,
    parallelism=4,
)


@pytest.mark.usefixtures("production_password_hashing")
def test_the_product_hashes_at_rfc_9106s_recommended_cost() -> None:
    stored = passwords.hash_password("correct horse battery")
    assert extract_parameters(stored) == RFC_9106_SECOND_OPTION
    assert passwords.password_matches(stored, "correct horse battery")
    assert not passwords.password_matches(stored, "correct horse batterY")


@pytest.mark.usefixtures("production_password_hashing")
def test_the_product_checks_a_hash_the_tests_made_cheaply() -> None:
    """A hash names its parameters: a server run as a child process (at the real cost)
    signs in the users the tests stored."""
    stored = CHEAP.hash("correct horse battery")
    assert extract_parameters(stored) != RFC_9106_SECOND_OPTION
    assert passwords.password_matches(stored, "correct horse battery")


def test_the_rest_of_the_suite_hashes_cheaply() -> None:
    assert extract_parameters(passwords.hash_password("x")).memory_cost == CHEAP.memory_cost
