"""``isocourse evaluate``: a course record in, an assessment out."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.progress import Progress

from isocourse.assessment_json import assessment_to_json
from isocourse.cli.common import EXIT_INVALID, fail, knowledge, settings
from isocourse.cli.render import render_assessment
from isocourse.knowledge.model import Knowledge
from isocourse.record_parser import RecordError, parse_course_record
from isocourse.rules import assess


class OutputFormat(StrEnum):
    json = "json"
    text = "text"


def evaluate(
    file: Annotated[
        str, typer.Argument(help="A course record (JSON) file, or - for standard input.")
    ],
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", help="json (the contract) or text (a readable table)."),
    ] = OutputFormat.json,
    jsonl: Annotated[
        bool,
        typer.Option("--jsonl", help="Read one record per line; write one assessment per line."),
    ] = False,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain", help="Show each programme condition and the records it rests on."
        ),
    ] = False,
) -> None:
    """Evaluate a course record (format isocourse.course/1) and print its assessment.

    Exits 0 when an assessment was produced, whatever it says; 2 with a message naming
    the field when the record is invalid. The assessment supports a clinician's decision.
    """
    known = knowledge()
    today = settings().today()
    with _open(file) as stream:
        if jsonl:
            invalid = _evaluate_lines(stream, known, today, explain=explain)
            if invalid:
                fail(f"{invalid} invalid record(s); see the error lines in the output")
            return
        try:
            record = parse_course_record(stream.read(), known, today=today)
        except RecordError as error:
            fail(str(error))
    assessment = assess(record, known, as_of=record.as_of)
    if output_format is OutputFormat.text:
        render_assessment(assessment, Console(), explain=explain)
    else:
        json.dump(
            assessment_to_json(assessment, explain=explain),
            sys.stdout,
            indent=2,
            ensure_ascii=False,
        )
        sys.stdout.write("\n")


def _open(file: str) -> TextIO:
    if file == "-":
        return sys.stdin
    path = Path(file)
    if not path.is_file():
        fail(f"no such file: {file}")
    return path.open(encoding="utf-8")


def _evaluate_lines(stream: TextIO, known: Knowledge, today: date, *, explain: bool) -> int:
    """Stream records line by line in constant memory; bad lines become error lines."""
    invalid = 0
    show_progress = sys.stderr.isatty()
    with Progress(console=Console(stderr=True), disable=not show_progress) as progress:
        task = progress.add_task("evaluating", total=None)
        for number, line in _numbered_lines(stream):
            try:
                record = parse_course_record(line, known, today=today)
            except RecordError as error:
                invalid += 1
                document = {
                    "format": "isocourse.error/1",
                    "line": number,
                    "field": error.field,
                    "message": error.message,
                }
            else:
                assessment = assess(record, known, as_of=record.as_of)
                document = assessment_to_json(assessment, explain=explain)
            sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
            progress.advance(task)
    return invalid


def _numbered_lines(stream: TextIO) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


__all__ = ["EXIT_INVALID", "evaluate"]
