"""``isocourse rules``: the alert-code catalogue, generated from the knowledge data."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from isocourse.cli.common import knowledge
from isocourse.knowledge.model import Knowledge


class CatalogueFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def rules(
    output_format: Annotated[
        CatalogueFormat, typer.Option("--format", help="text, json, or markdown (docs/rules.md).")
    ] = CatalogueFormat.text,
) -> None:
    """List every alert code: its severity, what it means and its source."""
    known = knowledge()
    if output_format is CatalogueFormat.json:
        json.dump(catalogue_json(known), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif output_format is CatalogueFormat.markdown:
        sys.stdout.write(catalogue_markdown(known))
    else:
        table = Table(title="isocourse alert codes", show_lines=True, expand=True)
        for column in ("code", "severity", "meaning", "source"):
            table.add_column(column)
        for definition in sorted(known.alerts.values(), key=lambda d: (d.concern, d.code)):
            table.add_row(definition.code, definition.severity, definition.title, definition.source)
        Console().print(table)


def catalogue_json(known: Knowledge) -> list[dict[str, str]]:
    return [
        {
            "code": d.code,
            "concern": d.concern,
            "severity": d.severity,
            "title": d.title,
            "message": d.message,
            "source": d.source,
        }
        for d in sorted(known.alerts.values(), key=lambda d: (d.concern, d.code))
    ]


def catalogue_markdown(known: Knowledge) -> str:
    lines = [
        "# Alert-code catalogue",
        "",
        "Generated from `src/isocourse/knowledge/alerts/*.toml` by "
        "`isocourse rules --format markdown`; a test fails when this file drifts from the data.",
        "Severity is the default; some rules raise it under a programme (see the message).",
        "",
    ]
    concern = None
    for definition in sorted(known.alerts.values(), key=lambda d: (d.concern, d.code)):
        if definition.concern != concern:
            concern = definition.concern
            lines += [
                "",
                f"## {concern.replace('_', ' ').capitalize()}",
                "",
                "| code | severity | meaning | message | source |",
                "|---|---|---|---|---|",
            ]
        cells = (
            definition.code,
            definition.severity,
            definition.title,
            definition.message,
            definition.source,
        )
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
