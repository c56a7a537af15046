"""What the commands share: the knowledge, the settings, error output."""

from __future__ import annotations

import sys
from typing import NoReturn

from pydantic import ValidationError
from rich.console import Console

from isocourse.knowledge.loader import KnowledgeError, load_knowledge
from isocourse.knowledge.model import Knowledge
from isocourse.settings import Settings

EXIT_INVALID = 2
EXIT_BROKEN = 3

error_console = Console(stderr=True)


def knowledge() -> Knowledge:
    try:
        return load_knowledge()
    except KnowledgeError as error:
        fail(f"the clinical knowledge failed to load, refusing to run:\n{error}", EXIT_BROKEN)


def settings() -> Settings:
    """The settings from the environment; a refused setting (a default secret in
    production ...) stops the command with its message, before anything starts."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(str(e["msg"]) for e in error.errors())
        fail(f"refusing to start: {problems}")


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    # one line, never wrapped at the terminal's width: a path or a field name in the
    # message must stay whole for the user to copy (and for a script to match)
    error_console.print(f"isocourse: {message}", markup=False, highlight=False, soft_wrap=True)
    sys.exit(code)
