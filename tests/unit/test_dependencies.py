"""What a plain install (no test extras) must bring for the code it runs."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"


def runtime_requirements() -> dict[str, Requirement]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    return {
        requirement.name: requirement
        for requirement in (Requirement(line) for line in project["dependencies"])
    }


def sources_importing(module: str) -> list[str]:
    return [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "src").rglob("*.py"))
        if f"import {module}" in (text := path.read_text(encoding="utf-8"))
        or f"from {module} import" in text
    ]


def test_the_event_loops_postgresql_pool_is_a_runtime_requirement() -> None:
    """The PostgreSQL verification runs on psycopg-pool's asyncio pool (the test extras
    do not bring it, but a plain install must)."""
    assert sources_importing("psycopg_pool")
    assert "psycopg-pool" in runtime_requirements()


def test_sqlalchemys_asyncio_extension_is_required_if_the_code_uses_it() -> None:
    """SQLAlchemy's asyncio extension needs greenlet, which since SQLAlchemy 2.1 only its
    ``asyncio`` extra installs (the test extras bring it too, through Playwright, and
    would hide its absence)."""
    users = sources_importing("sqlalchemy.ext.asyncio")
    extras = runtime_requirements()["sqlalchemy"].extras
    assert ("asyncio" in extras) == bool(users), users
