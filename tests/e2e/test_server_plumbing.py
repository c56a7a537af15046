"""The server's plumbing around every request: its id (echoed, or a new one when the
caller's is missing or malformed) and the size of the pool blocking work runs on."""

from __future__ import annotations

import gc
import uuid
from pathlib import Path

import pytest
import uvicorn
from anyio import to_thread
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from isocourse.api.app import app_from_environment, create_app
from isocourse.cli import app as cli_app
from isocourse.settings import Settings
from tests.clinic_support import Clinic, fresh_database


def test_a_well_formed_request_id_is_echoed(clinic: Clinic) -> None:
    response = clinic.client.get("/health", headers={"X-Request-ID": "pharmacy-7.req_42"})
    assert response.headers["X-Request-ID"] == "pharmacy-7.req_42"


@pytest.mark.parametrize("sent", [None, "", "has spaces", "x" * 65, "semi;colon"])
def test_a_missing_or_malformed_request_id_is_replaced_by_a_new_one(
    clinic: Clinic, sent: str | None
) -> None:
    headers = {} if sent is None else {"X-Request-ID": sent}
    response = clinic.client.get("/health", headers=headers)
    answered = response.headers["X-Request-ID"]
    assert answered != sent
    assert str(uuid.UUID(answered)) == answered


def test_an_error_answer_carries_the_request_id_too(clinic: Clinic) -> None:
    response = clinic.client.get("/api/v1/worklist", headers={"X-Request-ID": "r-401"})
    assert response.status_code == 401
    assert response.headers["X-Request-ID"] == "r-401"


def test_blocking_work_runs_on_a_pool_of_the_configured_size(tmp_path: Path) -> None:
    url = fresh_database("sqlite", tmp_path)
    app = create_app(Settings(data_dir=tmp_path, database_url=url, server_threads=3))
    with TestClient(app) as client:
        assert client.portal is not None

        def pool_size() -> float:
            return to_thread.current_default_thread_limiter().total_tokens

        assert client.portal.call(pool_size) == 3


@pytest.mark.parametrize("threads", [0, -1, 257])
def test_a_server_thread_count_out_of_range_is_refused_naming_the_setting(threads: int) -> None:
    with pytest.raises(ValidationError, match="server_threads"):
        Settings(server_threads=threads)


def test_a_served_app_freezes_its_startup_heap_and_an_app_for_tests_does_not(
    tmp_path: Path,
) -> None:
    """``isocourse serve`` builds the app with ``freeze_startup_heap``: what startup
    built is left out of the garbage collector's full collections (their pauses were
    the server's 99th percentile)."""
    url = fresh_database("sqlite", tmp_path)
    settings = Settings(data_dir=tmp_path, database_url=url)
    gc.unfreeze()
    try:
        with TestClient(create_app(settings)) as client:
            assert client.get("/health").status_code == 200
            assert gc.get_freeze_count() == 0
        with TestClient(create_app(settings, freeze_startup_heap=True)) as client:
            assert client.get("/health").status_code == 200
            assert gc.get_freeze_count() > 10_000  # the modules, the knowledge, the app
    finally:
        gc.unfreeze()


def test_serve_and_each_worker_build_the_app_with_a_frozen_startup_heap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = fresh_database("sqlite", tmp_path)
    monkeypatch.setenv("ISOCOURSE_DATABASE_URL", url)
    monkeypatch.setenv("ISOCOURSE_DATA_DIR", str(tmp_path))
    served: list[FastAPI] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_options: served.append(app))
    result = CliRunner().invoke(cli_app, ["serve"])
    assert result.exit_code == 0, result.output
    gc.unfreeze()
    try:
        for app in (served[0], app_from_environment()):  # one process; each of N workers
            with TestClient(app):
                assert gc.get_freeze_count() > 0
            gc.unfreeze()
    finally:
        gc.unfreeze()
