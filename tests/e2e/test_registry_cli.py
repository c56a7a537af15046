"""``isocourse synth`` and ``isocourse reassess`` end to end on SQLite (a small registry)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from isocourse.cli import app

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ISOCOURSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ISOCOURSE_DATABASE_URL", raising=False)
    return tmp_path


def test_synth_then_reassess_stores_one_latest_assessment_per_patient(data_dir: Path) -> None:
    synth = ["synth", "--patients", "12", "--seed", "3", "--batch-size", "5", "--workers", "1"]
    written = runner.invoke(app, [*synth, "--today", "2026-11-22"])
    assert written.exit_code == 0, written.output
    assert "12 patients written" in written.output
    again = runner.invoke(app, [*synth, "--today", "2026-11-22"])
    assert "0 patients written" in again.output and "12 already present" in again.output
    result = runner.invoke(app, ["reassess", "--as-of", "2026-11-22", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "patients" in result.output and "12" in result.output
    with sqlite3.connect(data_dir / "isocourse.sqlite3") as connection:
        rows = connection.execute("SELECT count(*), min(as_of) FROM latest_assessments").fetchone()
    assert rows == (12, "2026-11-22")


def test_reassess_on_a_database_never_migrated_says_so(data_dir: Path) -> None:
    result = runner.invoke(app, ["reassess", "--workers", "1"])
    assert result.exit_code == 2
    assert "db upgrade" in result.output
