"""The ``isocourse`` command line: thin commands that parse, call the core, render.

The program supports a clinician's decision; it does not replace it.
"""

from __future__ import annotations

import typer

from isocourse.cli import catalogue, demo, evaluate, plan, programmes, store_commands

app = typer.Typer(
    name="isocourse",
    help="Isotretinoin courses, run safely: cited rules for prescribers, pharmacists and patients.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
app.command("evaluate")(evaluate.evaluate)
app.command("plan")(plan.plan)
app.command("rules")(catalogue.rules)
app.command("programmes")(programmes.programmes)
app.command("demo")(demo.demo)
app.add_typer(store_commands.db_app, name="db")
app.add_typer(store_commands.user_app, name="user")
app.add_typer(store_commands.audit_app, name="audit")
app.command("serve")(store_commands.serve)


def main() -> None:
    app()
