"""The ``isocourse`` command line: thin commands that parse, call the core, render.

The program supports a clinician's decision; it does not replace it.

Start-up is kept small (``benchmarks/bench_startup.py``): ``main`` registers only the
command it was asked for (all of them for ``isocourse --help`` or an unknown name), and
each command imports its heavy machinery inside its own function.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from typing import Final

import typer

HELP = "Isotretinoin courses, run safely: cited rules for prescribers, pharmacists and patients."

#: command name -> (module in isocourse.cli, function, one line for `isocourse --help`)
COMMANDS: Final[dict[str, tuple[str, str, str]]] = {
    "evaluate": ("evaluate", "evaluate", "Evaluate a course record; print its assessment."),
    "plan": ("plan", "plan", "Plan a daily dose from the product's capsules."),
    "rules": ("catalogue", "rules", "List the alert codes: severity, meaning, source."),
    "programmes": ("programmes", "programmes", "List the pregnancy-prevention rule sets."),
    "schema": ("schema", "schema", "Print the JSON Schema of a record or an assessment."),
    "demo": ("demo", "demo", "Run the fictional demo clinic (SQLite, logins, server)."),
    "guide": ("guide", "guide", "Print the patient or clinician guide (md, html, pdf)."),
    "serve": ("store_commands", "serve", "Serve the API and the pages."),
    "backup": ("backup_commands", "backup", "Write a consistent snapshot of the database."),
    "restore": ("backup_commands", "restore", "Bring a backup back (server stopped)."),
    "import-labs": ("interop_commands", "import_labs", "Import lab results from a CSV file."),
    "report": ("interop_commands", "report", "Write a patient's course summary PDF."),
    "remind": ("interop_commands", "remind", "E-mail patients their reminders (run daily)."),
    "synth": ("registry_commands", "synth", "Write a fictional registry into the database."),
    "reassess": ("registry_commands", "reassess", "Re-assess every patient for a day."),
}
#: command group name -> (module in isocourse.cli, Typer app)
GROUPS: Final[dict[str, tuple[str, str]]] = {
    "db": ("store_commands", "db_app"),
    "user": ("store_commands", "user_app"),
    "audit": ("audit_commands", "audit_app"),
    "knowledge": ("knowledge_commands", "knowledge_app"),
    "cds-client": ("cds_commands", "cds_app"),
}


def build_app(only: str | None = None) -> typer.Typer:
    """The command line; with ``only``, just that command or group is registered (and
    imported), which is all one invocation of it needs."""
    built = typer.Typer(
        name="isocourse",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        # plain help (click's formatter): option names are never cut, whatever the width
        rich_markup_mode=None,
    )
    if only is not None:
        # a callback keeps the one command a subcommand (`isocourse NAME ...`), as in
        # the full command line; Typer would otherwise run it as the program itself
        built.callback(help=HELP)(_no_options)
    for name, (module, function, short_help) in COMMANDS.items():
        if only in (None, name):
            command = getattr(import_module(f"isocourse.cli.{module}"), function)
            built.command(name, short_help=short_help)(command)
    for name, (module, group) in GROUPS.items():
        if only in (None, name):
            built.add_typer(getattr(import_module(f"isocourse.cli.{module}"), group), name=name)
    return built


def _no_options() -> None:
    """No options of its own: the command's follow."""


def __getattr__(name: str) -> typer.Typer:
    """``isocourse.cli.app``: the whole command line, built on first use."""
    if name == "app":
        whole = build_app()
        globals()["app"] = whole
        return whole
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    # isocourse uses no pydantic plugins; looking them up scans every installed
    # package's entry points (about 15 ms at each start). A user who does use one can
    # set PYDANTIC_DISABLE_PLUGINS to an empty value, which this leaves alone.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    requested = sys.argv[1] if len(sys.argv) > 1 else None
    known = requested in COMMANDS or requested in GROUPS
    build_app(only=requested if known else None)()
