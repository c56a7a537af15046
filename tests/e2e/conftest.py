"""End-to-end fixtures: the app over HTTP (TestClient) on a fresh SQLite database; for the
browser tests, Debian's Chromium and the demo web clinic served over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser_support import LiveClinic, launched_chromium, require_chromium, served
from tests.clinic_support import Clinic, fresh_database, running_clinic
from tests.web_support import web_clinic


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    yield from running_clinic(fresh_database("sqlite", tmp_path), tmp_path)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless Chromium for a test module (closed when the module is done)."""
    require_chromium()
    with launched_chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveClinic]:
    """A fresh demo web clinic for a test module, served over loopback."""
    clinic = next(web_clinic(tmp_path_factory.mktemp("browser")))
    with served(clinic.app) as base_url:
        yield LiveClinic(base_url, clinic)
