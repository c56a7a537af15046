"""``isocourse demo``: the port checked before anything is written, the sign-in address
and the logins printed, where its data lives, and ``--reset`` of its own database only."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import isocourse.cli.store_commands
from isocourse.cli import app
from isocourse.cli.demo import sign_in_url

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ISOCOURSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ISOCOURSE_DATABASE_URL", raising=False)
    monkeypatch.delenv("ISOCOURSE_ENVIRONMENT", raising=False)
    return tmp_path


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something else is listening on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def database(data_dir: Path) -> Path:
    return data_dir / "isocourse.sqlite3"


def rows(data_dir: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database(data_dir)) as connection:
        return connection.execute(query).fetchall()


def test_the_demo_prints_the_logins_the_sign_in_page_and_where_its_data_lives(
    data_dir: Path,
) -> None:
    result = runner.invoke(app, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    for role in ("prescriber", "pharmacist", "admin", "patient"):
        assert f"{role}@demo.test" in result.output
    assert "demo-clinic-password" in result.output
    assert "http://127.0.0.1:8000/login" in result.output
    assert "/docs" not in result.output
    assert str(database(data_dir).resolve()) in result.output
    assert "--reset" in result.output
    assert rows(data_dir, "SELECT id FROM clinics") == [("demo",)]


def test_served_the_demo_says_where_to_sign_in_then_serves_on_that_port(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[tuple[str, int]] = []
    monkeypatch.setattr(
        isocourse.cli.store_commands, "serve", lambda host, port: served.append((host, port))
    )
    with socket.socket() as probe:  # a port free now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = runner.invoke(app, ["demo", "--port", str(port)])
    assert result.exit_code == 0, result.output
    assert f"Sign in at http://127.0.0.1:{port}/login" in result.output
    assert served == [("127.0.0.1", port)]


def test_a_busy_port_stops_the_demo_before_it_writes_anything(
    data_dir: Path, busy_port: int
) -> None:
    result = runner.invoke(app, ["demo", "--port", str(busy_port)])
    assert result.exit_code == 2
    message = result.output.strip().splitlines()[-1]
    assert f"port {busy_port}" in message and "--port" in message
    assert "Demo logins" not in result.output  # nothing seeded, nothing printed
    assert not database(data_dir).exists()


def test_a_busy_port_does_not_matter_without_the_server(data_dir: Path, busy_port: int) -> None:
    result = runner.invoke(app, ["demo", "--no-serve", "--port", str(busy_port)])
    assert result.exit_code == 0, result.output


def test_reset_deletes_the_demo_database_and_seeds_it_again(data_dir: Path) -> None:
    assert runner.invoke(app, ["demo", "--no-serve"]).exit_code == 0
    added = runner.invoke(
        app,
        [
            "user",
            "add",
            "extra@demo.test",
            "--role",
            "pharmacist",
            "--clinic",
            "demo",
            "--password-stdin",
        ],
        input="correct horse battery staple\n",
    )
    assert added.exit_code == 0, added.output
    assert ("extra@demo.test",) in rows(data_dir, "SELECT email FROM users")
    patients = rows(data_dir, "SELECT count(*) FROM patients")
    result = runner.invoke(app, ["demo", "--no-serve", "--reset"])
    assert result.exit_code == 0, result.output
    assert "deleted the demo database" in result.output
    assert ("extra@demo.test",) not in rows(data_dir, "SELECT email FROM users")
    assert rows(data_dir, "SELECT count(*) FROM patients") == patients
    assert ("prescriber@demo.test",) in rows(data_dir, "SELECT email FROM users")


def test_reset_refuses_a_database_that_holds_another_clinic(data_dir: Path) -> None:
    assert runner.invoke(app, ["demo", "--no-serve"]).exit_code == 0
    added = runner.invoke(
        app,
        [
            *("user", "add", "doc@north.test", "--role", "prescriber"),
            *("--clinic", "north", "--password-stdin"),
        ],
        input="correct horse battery staple\n",
    )
    assert added.exit_code == 0, added.output
    result = runner.invoke(app, ["demo", "--no-serve", "--reset"])
    assert result.exit_code == 2
    assert "north" in result.output and "not only demo data" in result.output
    assert ("doc@north.test",) in rows(data_dir, "SELECT email FROM users")


def test_reset_refuses_a_database_the_demo_did_not_create(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{(data_dir / 'elsewhere.sqlite3').as_posix()}"
    monkeypatch.setenv("ISOCOURSE_DATABASE_URL", url)
    result = runner.invoke(app, ["demo", "--no-serve", "--reset"])
    assert result.exit_code == 2
    assert "ISOCOURSE_DATABASE_URL" in result.output
    assert not (data_dir / "elsewhere.sqlite3").exists()


def test_reset_of_a_demo_never_run_just_seeds(data_dir: Path) -> None:
    result = runner.invoke(app, ["demo", "--no-serve", "--reset"])
    assert result.exit_code == 0, result.output
    assert rows(data_dir, "SELECT id FROM clinics") == [("demo",)]


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000/login"),
        ("0.0.0.0", "http://127.0.0.1:8000/login"),
        ("::1", "http://[::1]:8000/login"),
        ("::", "http://[::1]:8000/login"),
        ("clinic.example", "http://clinic.example:8000/login"),
    ],
)
def test_the_sign_in_address_is_one_a_browser_on_this_machine_can_open(
    host: str, url: str
) -> None:
    assert sign_in_url(host, 8000) == url
