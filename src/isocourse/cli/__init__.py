"""The ``isocourse`` command line: thin commands that parse, call the core, render.

The program supports a clinician's decision; it does not replace it.
"""

from __future__ import annotations

import typer

from isocourse.cli import catalogue, demo, evaluate, plan, programmes

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


def main() -> None:
    app()
