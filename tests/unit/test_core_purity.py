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
    PACKAGE / "words.py",
    *sorted((PACKAGE / "rules").glob("*.py")),
    *sorted(p for p in (PACKAGE / "knowledge").glob("*.py") if p.name != "loader.py"),
]
CORE_MODULES = {
    "isocourse.record",
    "isocourse.assessment",
    "isocourse.rules",
    "isocourse.knowledge",
    "isocourse.words",
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
