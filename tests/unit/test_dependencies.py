"""What a plain install (no test extras) must bring for the code it runs."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_sqlalchemy_is_required_with_its_asyncio_extension() -> None:
    """The PostgreSQL verification runs through SQLAlchemy's asyncio extension, which
    needs greenlet: since SQLAlchemy 2.1 only its ``asyncio`` extra installs it (here the
    test extras bring it too, through Playwright, and would hide its absence)."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    runtime = [Requirement(line) for line in project["dependencies"]]
    sqlalchemy = [requirement for requirement in runtime if requirement.name == "sqlalchemy"]
    assert [requirement.extras for requirement in sqlalchemy] == [{"asyncio"}]
