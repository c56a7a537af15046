"""The command line starts without its heavy machinery: the web app, the database, the
PDF and chart libraries and the FHIR models are imported by the commands that use them,
not by every command (``benchmarks/bench_startup.py`` measures the time; this test,
which is not timed, keeps the imports where they belong)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "course-record.json"

#: top-level packages a command that does not use them must not import
HEAVY = (
    "matplotlib",
    "fpdf",
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "fhir",
    "icalendar",
    "jinja2",
    "markdown_it",
    "argon2",
)

# Runs the command line in a fresh interpreter, then reports which heavy packages are
# loaded (and the exit code). Output of the command itself is discarded.
_DRIVER = """
import contextlib, io, json, sys
heavy, arguments = json.loads(sys.argv[1]), json.loads(sys.argv[2])
code = 0
if arguments is not None:
    sys.argv = ["isocourse", *arguments]
    from isocourse.cli import main
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            main()
        except SystemExit as exit:
            code = exit.code or 0
else:
    import isocourse.cli
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(heavy))
print(json.dumps({"code": code, "loaded": loaded}))
"""


def loaded_after(
    arguments: list[str] | None, *, cwd: Path = ROOT, environment: dict[str, str] | None = None
) -> tuple[int, list[str]]:
    """The exit code and the heavy packages loaded after running ``isocourse ARGUMENTS``
    (``None``: after merely importing the command line)."""
    result = subprocess.run(
        [sys.executable, "-c", _DRIVER, json.dumps(HEAVY), json.dumps(arguments)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=cwd,
        env={**_environment(), **(environment or {})},
    )
    report = json.loads(result.stdout)
    return report["code"], report["loaded"]


def test_the_heavy_packages_are_installed_so_that_their_absence_means_something() -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {', '.join(HEAVY)}"], capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_importing_the_command_line_imports_nothing_heavy() -> None:
    assert loaded_after(None) == (0, [])


@pytest.mark.parametrize(
    "arguments",
    [
        ["--help"],
        ["evaluate", "--help"],
        ["evaluate", str(EXAMPLE)],
        ["evaluate", str(EXAMPLE), "--format", "text", "--explain"],
        ["rules"],
        ["programmes"],
        ["schema", "course-record"],
        ["plan", "--weight", "62kg", "--mg-per-kg", "0.5", "--product", "absorica"],
        ["guide", "--help"],
        ["serve", "--help"],
        ["demo", "--help"],
    ],
)
def test_a_command_that_needs_no_heavy_machinery_imports_none(arguments: list[str]) -> None:
    code, loaded = loaded_after(arguments)
    assert code == 0
    assert loaded == [], f"isocourse {' '.join(arguments)} imported {loaded}"


def test_a_command_that_needs_the_database_still_gets_it(tmp_path: Path) -> None:
    """The check above can fail: a command that uses the database imports it."""
    code, loaded = loaded_after(
        ["db", "upgrade"], cwd=tmp_path, environment={"ISOCOURSE_DATA_DIR": str(tmp_path)}
    )
    assert code == 0 and "sqlalchemy" in loaded


def _environment() -> dict[str, str]:
    import os

    environment = dict(os.environ)
    environment.pop("ISOCOURSE_DATABASE_URL", None)
    source = str(ROOT / "src")
    environment["PYTHONPATH"] = os.pathsep.join(
        part for part in (source, environment.get("PYTHONPATH", "")) if part
    )
    return environment


def test_a_dated_record_does_not_depend_on_today_so_evaluate_may_skip_the_settings() -> None:
    """``isocourse evaluate`` reads the settings (a fifth of its start-up) only for a record
    without ``as_of``, passing a placeholder day otherwise (cli/evaluate.py ``_parse``).
    That holds while the parser uses ``today`` for nothing but a missing ``as_of``: if it
    ever does more, this fails, and evaluate must read the settings for every record."""
    from datetime import date

    from isocourse.demo_patients import demo_records
    from isocourse.knowledge.loader import load_knowledge
    from isocourse.record_parser import parse_course_record

    known = load_knowledge()
    texts = [EXAMPLE.read_text(encoding="utf-8")]
    texts += [json.dumps(document) for document in demo_records(date(2026, 3, 15))]
    for text in texts:
        assert "as_of" in json.loads(text)
        placeholder = parse_course_record(text, known, today=date.min)
        assert placeholder == parse_course_record(text, known, today=date(2026, 3, 15))
        assert placeholder == parse_course_record(text, known, today=date.max)
