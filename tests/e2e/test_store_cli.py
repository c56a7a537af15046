"""The system-of-record commands end to end: db upgrade, user add, audit verify, demo;
and the API's assessment of an imported record equals ``isocourse evaluate`` on it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from isocourse.cli import app
from tests.clinic_support import EXAMPLE, Clinic

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ISOCOURSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ISOCOURSE_DATABASE_URL", raising=False)
    return tmp_path


def test_db_upgrade_creates_the_sqlite_database_in_wal_mode(data_dir: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(data_dir / "isocourse.sqlite3") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_user_add_reads_the_password_from_stdin_and_creates_the_clinic(data_dir: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    args = ["user", "add", "Doc@North.test", "--role", "prescriber", "--clinic", "north"]
    result = runner.invoke(app, [*args, "--password-stdin"], input="a long password\n")
    assert result.exit_code == 0, result.output
    with sqlite3.connect(data_dir / "isocourse.sqlite3") as connection:
        assert connection.execute("SELECT id FROM clinics").fetchall() == [("north",)]
        row = connection.execute("SELECT email, role, password_hash FROM users").fetchone()
    assert row[:2] == ("doc@north.test", "prescriber")
    assert row[2].startswith("$argon2id$")
    again = runner.invoke(app, [*args, "--password-stdin"], input="a long password\n")
    assert again.exit_code == 2


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "qwertyuiopas", "password1234"])
def test_user_add_and_set_password_refuse_a_guessable_password(
    data_dir: Path, password: str
) -> None:
    runner.invoke(app, ["db", "upgrade"])
    args = ["user", "add", "x@north.test", "--role", "prescriber", "--clinic", "north"]
    refused = runner.invoke(app, [*args, "--password-stdin"], input=f"{password}\n")
    assert refused.exit_code == 2
    assert "too easy to guess" in refused.output
    runner.invoke(app, [*args, "--password-stdin"], input="a long password\n")
    again = ["user", "set-password", "x@north.test", "--password-stdin"]
    refused = runner.invoke(app, again, input=f"{password}\n")
    assert refused.exit_code == 2
    assert "too easy to guess" in refused.output


def test_user_list_disable_enable_and_set_password(data_dir: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    for email, clinic in (("doc@north.test", "north"), ("doc@south.test", "south")):
        added = runner.invoke(
            app,
            ["user", "add", email, "--role", "prescriber", "--clinic", clinic, "--password-stdin"],
            input="a long password\n",
        )
        assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["user", "list"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert [line.split("\t")[:3] for line in lines] == [
        ["doc@north.test", "prescriber", "north"],
        ["doc@south.test", "prescriber", "south"],
    ]
    assert all(line.split("\t")[4:6] == ["never", "active"] for line in lines)
    only = runner.invoke(app, ["user", "list", "--clinic", "south"])
    assert [line.split("\t")[0] for line in only.output.splitlines()] == ["doc@south.test"]

    disabled = runner.invoke(app, ["user", "disable", "doc@north.test"])
    assert disabled.exit_code == 0 and "disabled" in disabled.output
    assert "disabled" in runner.invoke(app, ["user", "list"]).output.splitlines()[0]
    again = runner.invoke(app, ["user", "disable", "doc@north.test"])
    assert "already disabled" in again.output
    enabled = runner.invoke(app, ["user", "enable", "doc@north.test"])
    assert enabled.exit_code == 0 and "enabled" in enabled.output
    changed = runner.invoke(
        app,
        ["user", "set-password", "doc@north.test", "--password-stdin"],
        input="violet harbour compass\n",
    )
    assert changed.exit_code == 0, changed.output
    assert "0 session(s) ended" in changed.output
    unknown = runner.invoke(app, ["user", "disable", "nobody@north.test"])
    assert unknown.exit_code == 2 and "no user" in unknown.output
    with sqlite3.connect(data_dir / "isocourse.sqlite3") as connection:
        actions = [
            row[0]
            for row in connection.execute(
                "SELECT action FROM audit_entries WHERE action LIKE 'user.%' ORDER BY id"
            )
        ]
        details = " ".join(row[0] for row in connection.execute("SELECT detail FROM audit_entries"))
    assert actions == [
        "user.added",
        "user.added",
        "user.disabled",
        "user.enabled",
        "user.password_set",
    ]
    assert "violet" not in details
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output


def test_user_add_refuses_an_unknown_role(data_dir: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    args = ["user", "add", "x@north.test", "--role", "nurse", "--clinic", "north"]
    result = runner.invoke(app, [*args, "--password-stdin"], input="a long password\n")
    assert result.exit_code == 2


def test_demo_seeds_the_clinic_prints_logins_and_an_intact_audit(data_dir: Path) -> None:
    result = runner.invoke(app, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "prescriber@demo.test" in result.output
    assert "pharmacist@demo.test" in result.output
    with sqlite3.connect(data_dir / "isocourse.sqlite3") as connection:
        patients = connection.execute("SELECT count(*) FROM patients").fetchone()[0]
    assert patients >= 20
    rerun = runner.invoke(app, ["demo", "--no-serve"])
    assert rerun.exit_code == 0, rerun.output
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0
    assert "intact" in verified.output


def test_audit_verify_reports_the_first_tampered_entry(data_dir: Path) -> None:
    runner.invoke(app, ["demo", "--no-serve"])
    with sqlite3.connect(data_dir / "isocourse.sqlite3") as connection:
        connection.execute("UPDATE audit_entries SET patient_id = 'someone-else' WHERE id = 4")
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "entry 4" in result.output


def test_the_api_assessment_equals_isocourse_evaluate(clinic: Clinic) -> None:
    evaluated = runner.invoke(app, ["evaluate", str(EXAMPLE)])
    assert evaluated.exit_code == 0, evaluated.output
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    patient_id = clinic.enrol(document)
    response = clinic.client.get(
        f"/api/v1/patients/{patient_id}/assessment",
        params={"as_of": document["as_of"]},
        headers=clinic.as_user("doc_a"),
    )
    assert response.json() == json.loads(evaluated.output)
    stateless = clinic.client.post(
        "/api/v1/evaluate", json=document, headers=clinic.as_user("doc_a")
    )
    assert stateless.json() == json.loads(evaluated.output)


def test_an_error_naming_a_long_path_stays_on_one_line(data_dir: Path) -> None:
    not_a_backup = data_dir / ("a-rather-long-folder-name-" * 3) / "notes.backup"
    not_a_backup.parent.mkdir(parents=True)
    not_a_backup.write_text("hello", encoding="utf-8")
    # a narrow terminal: the message is still one line
    result = runner.invoke(app, ["restore", str(not_a_backup)], env={"COLUMNS": "40"})
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("isocourse:")]
    assert len(lines) == 1 and str(not_a_backup) in lines[0], result.output
