"""tests/unit stays pure and fast: its conftest refuses threads, processes, programs,
sockets and databases at run time (each shown refused here), and no module here imports
a database, server, network, process or PDF/chart rendering library, or the test
support that starts them (checked on the source, so an import inside a function counts).
Tests that need them live in tests/integration or tests/e2e."""

from __future__ import annotations

import ast
import asyncio
import multiprocessing
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.conftest import NotAUnitTest

UNIT = Path(__file__).resolve().parent

#: the top-level packages a unit test may not import
FORBIDDEN_PACKAGES = {
    "sqlite3", "sqlalchemy", "alembic", "psycopg", "psycopg_pool",  # databases
    "socket", "http", "urllib", "smtplib", "aiosmtpd", "httpx", "uvicorn", "fastapi",
    "starlette", "playwright", "schemathesis", "flask",  # networks and servers
    "subprocess", "threading", "multiprocessing", "concurrent", "asyncio",  # concurrency
    "fpdf", "pypdf", "pypdfium2", "matplotlib", "PIL",  # PDF and chart rendering
}  # fmt: skip
#: the product's modules that do I/O or render, and the tests' support that runs a server
FORBIDDEN_MODULES = (
    "isocourse.store",
    "isocourse.service",
    "isocourse.web",
    "isocourse.registry",
    "isocourse.api",
    "isocourse.reports.pdf",
    "isocourse.reports.charts",
    "isocourse.guide.pdf",
    "tests.clinic_support",
    "tests.web_support",
    "tests.live_server",
    "tests.interop_support",
    "tests.ehr_sandbox",
    "tests.audit_support",
)
#: pure modules inside those packages: the fold of the event log over plain rows, the
#: request-size parsers
ALLOWED_MODULES = {"isocourse.store.fold", "isocourse.api.request_limits"}


def imports_of(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def forbidden(module: str) -> bool:
    if module in ALLOWED_MODULES or any(module.startswith(f"{a}.") for a in ALLOWED_MODULES):
        return False
    return module.split(".")[0] in FORBIDDEN_PACKAGES or any(
        module == prefix or module.startswith(f"{prefix}.") for prefix in FORBIDDEN_MODULES
    )


def test_no_unit_test_imports_a_database_server_process_or_renderer() -> None:
    guards = {"conftest.py", Path(__file__).name}  # they import the doors to close them
    modules = sorted(path for path in UNIT.glob("*.py") if path.name not in guards)
    assert len(modules) > 40, "the unit tests were not found"
    offending = {
        f"{path.name}: {module}"
        for path in modules
        for module in imports_of(path.read_text(encoding="utf-8"))
        if forbidden(module) and not _from_parent_of_allowed(module)
    }
    assert offending == set()


def _from_parent_of_allowed(module: str) -> bool:
    """``from isocourse.store import fold`` names the allowed module's parent package."""
    return any(allowed.startswith(f"{module}.") for allowed in ALLOWED_MODULES)


def test_the_import_check_would_catch_each_kind() -> None:
    source = (
        "import threading\n"
        "from sqlalchemy import select\n"
        "from isocourse.reports.pdf import course_summary_pdf\n"
        "from tests.clinic_support import demo\n"
        "from isocourse.store.fold import fold_events\n"
        "from datetime import date\n"
        "def later():\n"
        "    import subprocess\n"
    )
    caught = {module for module in imports_of(source) if forbidden(module)}
    assert caught >= {
        "threading",
        "sqlalchemy",
        "isocourse.reports.pdf",
        "tests.clinic_support",
        "subprocess",
    }
    assert not caught & {"isocourse.store.fold", "datetime", "datetime.date"}


def _start_a_thread() -> None:
    threading.Thread(target=lambda: None).start()


def _start_a_process() -> None:
    multiprocessing.get_context("spawn").Process(target=print).start()


def _run_a_program() -> None:
    subprocess.run([sys.executable, "-c", "pass"], check=True)


def _open_a_socket() -> None:
    socket.create_connection(("127.0.0.1", 9))


def _start_an_event_loop() -> None:
    asyncio.new_event_loop().close()


def _open_a_database() -> None:
    sqlite3.connect(":memory:")


@pytest.mark.parametrize(
    "door",
    [
        _start_a_thread,
        _start_a_process,
        _run_a_program,
        _open_a_socket,
        pytest.param(  # the half-made loop warns as it goes, unclosed
            _start_an_event_loop,
            marks=pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
        ),
        _open_a_database,
    ],
)
def test_a_unit_test_that_reaches_outside_fails(door: Callable[[], None]) -> None:
    with pytest.raises(NotAUnitTest, match="belongs in tests/integration or tests/e2e"):
        door()
