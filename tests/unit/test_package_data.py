"""The wheel is the product: every file under src/isocourse that is not Python source
(templates, static files, knowledge, the guide, the migrations' template) is matched by
a package-data pattern in pyproject.toml, so a plain ``pip install .`` can serve.

This is the fast check (the patterns, as setuptools reads them: globs relative to the
package, ``**`` recursive); ``tests/e2e/test_wheel.py`` builds the real wheel and sdist.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "isocourse"


def patterns() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found: list[str] = pyproject["tool"]["setuptools"]["package-data"]["isocourse"]
    return found


def data_files() -> set[str]:
    """Every file of the package that is neither Python source nor a bytecode cache."""
    return {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    }


def matched(pattern: str) -> set[str]:
    return {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.glob(pattern)  # "**": this folder and every one below it
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_every_data_file_of_the_package_is_package_data() -> None:
    covered = set().union(*(matched(pattern) for pattern in patterns()))
    missing = sorted(data_files() - covered)
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"


def test_the_data_the_server_needs_is_there_to_be_packaged() -> None:
    files = data_files()
    for needed in (
        "web/templates/login.html",
        "web/static/style.css",
        "web/static/htmx.min.js",
        "knowledge/drugs.toml",
        "knowledge/alerts/programme.toml",
        "knowledge/guide/faq/alcohol.md.j2",
        "store/migrations/script.py.mako",
        "py.typed",
    ):
        assert needed in files


def test_every_pattern_matches_something() -> None:
    assert all(matched(pattern) for pattern in patterns()), "a pattern that matches nothing"


def test_removing_a_pattern_leaves_files_out() -> None:
    """The check above can fail: without any one pattern some file is not covered."""
    for left_out in patterns():
        rest = [pattern for pattern in patterns() if pattern != left_out]
        covered = set().union(*(matched(pattern) for pattern in rest))
        assert data_files() - covered, f"{left_out} covers nothing the others do not"
