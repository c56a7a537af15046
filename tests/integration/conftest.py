"""Integration fixtures: a real database, SQLite always, PostgreSQL when configured."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clinic_support import Clinic, database_params, fresh_database, running_clinic


@pytest.fixture(params=database_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_database(request.param, tmp_path)


@pytest.fixture
def clinic(database_url: str, tmp_path: Path) -> Iterator[Clinic]:
    yield from running_clinic(database_url, tmp_path)
