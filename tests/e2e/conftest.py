"""End-to-end fixtures: the app over HTTP (TestClient) on a fresh SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clinic_support import Clinic, fresh_database, running_clinic


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    yield from running_clinic(fresh_database("sqlite", tmp_path), tmp_path)
