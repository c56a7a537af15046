"""Whole-suite hooks: cheap password hashing, Hypothesis without timing checks, and the
security figures the tests measured (added up over pytest-xdist's workers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, settings

from isocourse.auth import passwords
from tests.security_figures import FIGURES, add_to_figure

#: The suite runs on every core of a machine that may be busy with other work: Hypothesis's
#: timing checks (an example's 200 ms deadline, the too-slow data generation health check)
#: would fail a correct test when it is merely slow. Timings belong in benchmarks/.
settings.register_profile(
    "isocourse-suite", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("isocourse-suite")

#: argon2id at its cheapest: the suite hashes and checks hundreds of passwords
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
#: the product's own hasher, for the one test of its parameters (tests/unit/test_passwords.py)
PRODUCTION = passwords._hasher


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """In the tests' own process only: a server started as a child process, and the
    product, keep argon2-cffi's defaults (a hash names its parameters, so either checks
    the other's)."""
    passwords._hasher = lambda: CHEAP  # type: ignore[assignment]
    yield
    passwords._hasher = PRODUCTION


@pytest.fixture
def production_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The product's argon2 parameters, for this test only."""
    monkeypatch.setattr(passwords, "_hasher", PRODUCTION)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a pytest-xdist worker: hand the figures it measured to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["security_figures"] = dict(FIGURES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """In the pytest-xdist controller: add up the figures of a worker that finished (a
    count is split over the workers that ran its tests; a figure only one test records
    comes from one worker)."""
    for name, value in getattr(node, "workeroutput", {}).get("security_figures", {}).items():
        add_to_figure(name, value)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("security figures")
        for name, value in sorted(FIGURES.items()):
            terminalreporter.write_line(f"{name}: {value}")
