"""The ``isocourse`` command line: thin commands that parse, call the core, render.

The program supports a clinician's decision; it does not replace it.
"""

from __future__ import annotations

import typer

from isocourse.cli import catalogue, demo, evaluate, plan, programmes, store_commands
from isocourse.cli import guide as guide_command
from isocourse.cli.backup_commands import backup, restore
from isocourse.cli.interop_commands import import_labs, remind, report
from isocourse.cli.knowledge_commands import knowledge_app
from isocourse.cli.registry_commands import reassess, synth

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
app.command("guide")(guide_command.guide)
app.add_typer(store_commands.db_app, name="db")
app.add_typer(store_commands.user_app, name="user")
app.add_typer(store_commands.audit_app, name="audit")
app.command("serve")(store_commands.serve)
app.command("backup")(backup)
app.command("restore")(restore)
app.command("import-labs")(import_labs)
app.command("report")(report)
app.command("remind")(remind)
app.command("synth")(synth)
app.command("reassess")(reassess)
app.add_typer(knowledge_app, name="knowledge")


def main() -> None:
    app()
