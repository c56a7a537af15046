"""``isocourse evaluate``: a course record in, an assessment out."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from isocourse.assessment_json import assessment_to_json
from isocourse.cli.common import EXIT_INVALID, fail, knowledge, settings

if TYPE_CHECKING:
    from isocourse.knowledge.model import Knowledge


class OutputFormat(StrEnum):
    json = "json"
    text = "text"


def evaluate(
    file: Annotated[
        str, typer.Argument(help="A course record (JSON) file, or - for standard input.")
    ],
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format", help="json (the contract) or text (readable; whole lines when piped)."
        ),
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
    from isocourse.service.evaluation import InvalidRecord, evaluate_text

    known = knowledge()
    with _open(file) as stream:
        if jsonl:
            invalid = _evaluate_lines(stream, known, explain=explain)
            if invalid:
                fail(f"{invalid} invalid record(s); see the error lines in the output")
            return
        try:
            # the clinic's today fills a missing ``as_of``: it is read (with the settings,
            # a fifth of this command's start-up) only for a record without one
            assessment = evaluate_text(stream.read(), known, today=_clinic_today).assessment
        except InvalidRecord as error:
            fail(error.words)
    if output_format is OutputFormat.text:
        from isocourse.cli.output import stdout_console
        from isocourse.cli.render import render_assessment

        render_assessment(assessment, stdout_console(), explain=explain)
    else:
        json.dump(
            assessment_to_json(assessment, explain=explain),
            sys.stdout,
            indent=2,
            ensure_ascii=False,
        )
        sys.stdout.write("\n")


@cache
def _clinic_today() -> date:
    return settings().today()


def _open(file: str) -> TextIO:
    if file == "-":
        return sys.stdin
    path = Path(file)
    if not path.is_file():
        fail(f"no such file: {file}")
    return path.open(encoding="utf-8")


def _evaluate_lines(stream: TextIO, known: Knowledge, *, explain: bool) -> int:
    """Stream records line by line in constant memory; bad lines become error lines."""
    from rich.console import Console
    from rich.progress import Progress

    from isocourse.service.evaluation import InvalidRecord, evaluate_text

    invalid = 0
    show_progress = sys.stderr.isatty()
    with Progress(console=Console(stderr=True), disable=not show_progress) as progress:
        task = progress.add_task("evaluating", total=None)
        for number, line in _numbered_lines(stream):
            try:
                evaluation = evaluate_text(line, known, today=_clinic_today)
            except InvalidRecord as error:
                invalid += 1
                document = {
                    "format": "isocourse.error/1",
                    "line": number,
                    "field": error.field,
                    "message": error.reason,
                }
            else:
                document = assessment_to_json(evaluation.assessment, explain=explain)
            sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
            progress.advance(task)
    return invalid


def _numbered_lines(stream: TextIO) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


__all__ = ["EXIT_INVALID", "evaluate"]
