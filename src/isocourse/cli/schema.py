"""``isocourse schema``: the JSON Schema of the course record or of the assessment."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from isocourse.cli.common import fail, knowledge


class SchemaName(StrEnum):
    course_record = "course-record"
    assessment = "assessment"


def schema(
    name: Annotated[
        SchemaName | None,
        typer.Argument(help="course-record (the input) or assessment (the output)."),
    ] = None,
    write: Annotated[
        Path | None,
        typer.Option(
            "--write",
            help="Write every schema into this folder as NAME.schema.json instead "
            "(isocourse schema --write docs/schemas refreshes the documentation's copies).",
        ),
    ] = None,
) -> None:
    """Print the JSON Schema (draft 2020-12) of a format, generated from the model (and,
    for the programme ids, from the knowledge).

    The same schemas are served, without signing in, at /api/v1/schemas/NAME.
    """
    from isocourse.formats import SCHEMAS, schema_file_name, schema_text

    known = knowledge()
    if write is not None:
        if name is not None:
            fail("--write writes every schema; leave out the NAME")
        if not write.is_dir():
            fail(f"--write: no such folder: {write}")
        for each in SCHEMAS:
            target = write / schema_file_name(each)
            target.write_text(schema_text(each, known), encoding="utf-8")
            typer.echo(f"wrote {target}")
        return
    if name is None:
        fail("name a schema: course-record or assessment (or --write FOLDER)")
    sys.stdout.write(schema_text(name.value, known))
