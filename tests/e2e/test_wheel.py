"""The wheel and the sdist, built as a package index or an operator builds them
(``python -m build``: the sdist, then the wheel from the sdist), hold every data file
the installed program reads: templates, static files, knowledge, guide, migrations.

Slow (it builds the package in an isolated environment): ``-m 'not slow'`` skips it;
CI runs it with the rest, and ``scripts/wheel-smoke`` then installs and serves the wheel.
The build runs on a copy of the tree in a temporary folder, so it writes nothing here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.unit.test_package_data import data_files

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[set[str], set[str]]:
    """The names in the wheel and in the sdist (relative to the package / the project)."""
    work = tmp_path_factory.mktemp("build")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src",
        source / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
    )
    dist = work / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = {
            name.removeprefix("isocourse/")
            for name in archive.namelist()
            if name.startswith("isocourse/")
        }
    with tarfile.open(sdist) as archive:
        in_sdist = {
            name.split("/src/isocourse/", 1)[1]
            for name in archive.getnames()
            if "/src/isocourse/" in name
        }
    return in_wheel, in_sdist


def test_the_wheel_holds_every_data_file(built: tuple[set[str], set[str]]) -> None:
    in_wheel, _ = built
    missing = sorted(data_files() - in_wheel)
    assert not missing, f"left out of the wheel: {missing}"
    assert {"web/templates/login.html", "web/static/style.css"} <= in_wheel


def test_the_sdist_holds_every_data_file(built: tuple[set[str], set[str]]) -> None:
    _, in_sdist = built
    missing = sorted(data_files() - in_sdist)
    assert not missing, f"left out of the sdist: {missing}"


def test_the_wheel_holds_no_bytecode_or_build_leftovers(built: tuple[set[str], set[str]]) -> None:
    in_wheel, _ = built
    assert not [name for name in in_wheel if "__pycache__" in name or name.endswith(".pyc")]
