"""Figures the security tests measure (matrix cells, crash-test writes, requests fuzzed),
collected during the run and printed in pytest's summary (see tests/conftest.py);
docs/security.md quotes them."""

from __future__ import annotations

FIGURES: dict[str, int] = {}


def record_figure(name: str, value: int) -> None:
    FIGURES[name] = value


def add_to_figure(name: str, value: int = 1) -> None:
    FIGURES[name] = FIGURES.get(name, 0) + value
