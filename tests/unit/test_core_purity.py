"""The clinical core imports the standard library and its own value types only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import isocourse

PACKAGE = Path(isocourse.__file__).parent
CORE = [
    PACKAGE / "record.py",
    PACKAGE / "assessment.py",
    PACKAGE / "worklist.py",
    PACKAGE / "demo_patients.py",
    *sorted((PACKAGE / "rules").glob("*.py")),
    *sorted(p for p in (PACKAGE / "knowledge").glob("*.py") if p.name != "loader.py"),
]
CORE_MODULES = {
    "isocourse.record",
    "isocourse.assessment",
    "isocourse.rules",
    "isocourse.knowledge",
}
FORBIDDEN_STDLIB = {
    "os",
    "io",
    "socket",
    "subprocess",
    "sqlite3",
    "urllib",
    "http",
    "shutil",
    "tempfile",
    "pathlib",
    "random",
    "time",
    "logging",
    "importlib",
    "tomllib",
}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def is_allowed(module: str) -> bool:
    top = module.split(".")[0]
    if top == "isocourse":
        return any(module == core or module.startswith(core + ".") for core in CORE_MODULES) and (
            module != "isocourse.knowledge.loader"
        )
    return top in sys.stdlib_module_names and top not in FORBIDDEN_STDLIB


def test_the_core_files_exist() -> None:
    assert len(CORE) > 10 and all(path.is_file() for path in CORE)


def test_the_clinical_core_imports_no_io_or_framework_package() -> None:
    offending = {
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in CORE
        for module in imported_modules(path)
        if not is_allowed(module)
    }
    assert offending == set()


def test_the_check_would_catch_a_framework_import(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("import sqlalchemy\nfrom os import environ\nfrom datetime import date\n")
    assert {m for m in imported_modules(sneaky) if not is_allowed(m)} == {"sqlalchemy", "os"}


def test_the_core_never_reads_the_clock() -> None:
    for path in CORE:
        text = path.read_text(encoding="utf-8")
        for clock in ("date.today(", "datetime.now(", "datetime.utcnow(", "time.time("):
            assert clock not in text, f"{path.name} reads the clock"


#: Outside the core, the pure halves of a use case: their service/ partner does the I/O
#: (service/calendar_feed.py, service/lab_csv.py, service/reminders.py).
PURE_HALVES = [PACKAGE / f"{name}.py" for name in ("course_ics", "lab_csv_parser", "reminder_plan")]
IO_PACKAGES = {"sqlalchemy", "fastapi", "starlette", "httpx", "smtplib", "socket", "subprocess"}
IO_LAYERS = ("isocourse.store", "isocourse.service", "isocourse.api", "isocourse.web")


def does_io(module: str) -> bool:
    return module.split(".")[0] in IO_PACKAGES or module.startswith(IO_LAYERS)


def test_the_pure_halves_of_the_use_cases_do_no_io_and_read_no_clock() -> None:
    assert all(path.is_file() for path in PURE_HALVES)
    offending = {
        f"{path.name}: {module}"
        for path in PURE_HALVES
        for module in imported_modules(path)
        if does_io(module)
    }
    assert offending == set()
    for path in PURE_HALVES:
        text = path.read_text(encoding="utf-8")
        for clock in ("date.today(", "datetime.now(", "datetime.utcnow(", "time.time("):
            assert clock not in text, f"{path.name} reads the clock"


def test_the_io_check_would_catch_a_store_import(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from isocourse.store.tables import events\nimport smtplib\nimport csv\n")
    assert {m for m in imported_modules(sneaky) if does_io(m)} == {
        "isocourse.store.tables",
        "smtplib",
    }
