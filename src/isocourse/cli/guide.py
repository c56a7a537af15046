"""``isocourse guide``: the patient and clinician drug guide, fitted and printed."""

from __future__ import annotations

import sys
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from isocourse.cli.common import fail, knowledge, settings

if TYPE_CHECKING:
    from isocourse.guide.model import GuideOptions
    from isocourse.guide.render import RenderedGuide
    from isocourse.knowledge.model import Knowledge


class GuideFormat(StrEnum):
    md = "md"
    html = "html"
    pdf = "pdf"


class GuideAudience(StrEnum):
    patient = "patient"
    clinician = "clinician"


def guide(
    product: Annotated[
        str | None,
        typer.Option("--product", help="Product id, e.g. isotretinoin, absorica, claravis."),
    ] = None,
    programme: Annotated[
        str | None,
        typer.Option(
            "--programme", help="A programme id (isocourse programmes lists them) or none."
        ),
    ] = None,
    can_get_pregnant: Annotated[
        bool | None,
        typer.Option(
            "--can-get-pregnant/--cannot-get-pregnant",
            help="Whether the patient can get pregnant (leave out if not known).",
        ),
    ] = None,
    output_format: Annotated[
        GuideFormat, typer.Option("--format", help="md (Markdown), html or pdf.")
    ] = GuideFormat.md,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (needed for pdf).")
    ] = None,
    search: Annotated[
        str | None,
        typer.Option("--search", help='Print only the sections matching these words ("alcohol").'),
    ] = None,
    record: Annotated[
        Path | None,
        typer.Option("--record", help="Fit the guide to this course record (JSON) and its dates."),
    ] = None,
    audience: Annotated[
        GuideAudience, typer.Option("--audience", help="patient, or clinician (adds the numbers).")
    ] = GuideAudience.patient,
) -> None:
    """Print the isotretinoin guide: plain-language drug information with a source for
    every clinical statement, fitted to a product, a programme and whether the patient
    can get pregnant, or to a course record (--record) with its due dates.

    Without options it prints the general guide (generic isotretinoin, no programme).
    Exits 2 with a message naming the option when an option or the record is invalid.
    """
    from isocourse.guide.model import GuideError, GuideOptions, category_of
    from isocourse.guide.render import render_guide

    known = knowledge()
    if record is not None:
        options = _options_from_record(known, record, product, programme, can_get_pregnant)
    else:
        options = GuideOptions(
            product=product or "isotretinoin",
            programme=_programme(known, programme or "none"),
            category=category_of(can_get_pregnant),
            as_of=settings().today(),
        )
    options = replace(options, audience=audience.value)
    try:
        rendered = render_guide(known, options)
    except GuideError as error:
        fail(str(error))
    _write(rendered, options, output_format, output, search)


def _programme(known: Knowledge, value: str) -> str:
    """The programme id, checked against the knowledge's programmes."""
    choices = known.programmes.choices()
    if value not in choices:
        fail(f"--programme: unknown programme {value!r} (choose {', '.join(choices)})")
    return value


def _options_from_record(
    known: Knowledge,
    file: Path,
    product: str | None,
    programme: str | None,
    can_get_pregnant: bool | None,
) -> GuideOptions:
    """Options from the record and its assessment; an option that disagrees is an error."""
    from isocourse.guide.model import category_of, guide_options_from_record
    from isocourse.service.evaluation import InvalidRecord, evaluate_text

    if not file.is_file():
        fail(f"--record: no such file: {file}")
    today = settings().today()
    try:
        evaluation = evaluate_text(file.read_bytes(), known, today=lambda: today)
    except InvalidRecord as error:
        fail(f"--record {file}: {error.words}")
    options = guide_options_from_record(evaluation.record, evaluation.assessment)
    given = {
        "--product": (product, options.product),
        "--programme": (programme, options.programme),
        "--can-get-pregnant/--cannot-get-pregnant": (
            None if can_get_pregnant is None else category_of(can_get_pregnant),
            options.category,
        ),
    }
    for option, (value, recorded) in given.items():
        if value is not None and value != recorded:
            fail(f"{option}: {value} disagrees with the record ({recorded}); leave it out")
    return options


def _write(
    rendered: RenderedGuide,
    options: GuideOptions,
    output_format: GuideFormat,
    output: Path | None,
    search: str | None,
) -> None:
    if search is not None:
        from isocourse.guide.search import search_markdown

        if output_format is not GuideFormat.md:
            fail("--search: search results are printed as Markdown; leave out --format")
        _write_text(search_markdown(rendered, search), output)
    elif output_format is GuideFormat.pdf:
        if output is None:
            fail("--output: a PDF needs a file name, e.g. --output guide.pdf")
        from isocourse.guide.pdf import guide_pdf

        output.write_bytes(guide_pdf(rendered, options.as_of))
    elif output_format is GuideFormat.html:
        from isocourse.guide.html import guide_html

        _write_text(guide_html(rendered), output)
    else:
        _write_text(rendered.markdown(), output)


def _write_text(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
