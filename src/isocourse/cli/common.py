"""What the commands share: the knowledge, the settings, error output.

The command line starts fast: a module of ``isocourse.cli`` imports at its top only
what every command needs (Typer, the standard library); a command imports its heavy
machinery (the database, the web app, the PDF and chart libraries, the FHIR models)
inside its own function. ``tests/e2e/test_cli_start.py`` keeps it so.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from isocourse.knowledge.model import Knowledge
    from isocourse.settings import Settings

EXIT_INVALID = 2
EXIT_BROKEN = 3


def knowledge() -> Knowledge:
    """The validated knowledge (kept between runs: :mod:`isocourse.cli.knowledge_cache`)."""
    from isocourse.cli.knowledge_cache import cached_knowledge
    from isocourse.knowledge.loader import KnowledgeError

    try:
        return cached_knowledge()
    except KnowledgeError as error:
        fail(f"the clinical knowledge failed to load, refusing to run:\n{error}", EXIT_BROKEN)


def settings() -> Settings:
    """The settings from the environment; a refused setting (a default secret in
    production ...) stops the command with its message, before anything starts."""
    from pydantic import ValidationError

    from isocourse.settings import Settings

    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(str(e["msg"]) for e in error.errors())
        fail(f"refusing to start: {problems}")


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    # plain text, never wrapped at the terminal's width: a path or a field name in the
    # message must stay whole for the user to copy (and for a script to match)
    sys.stdout.flush()
    sys.stderr.write(f"isocourse: {message}\n")
    sys.stderr.flush()
    sys.exit(code)
