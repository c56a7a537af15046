"""``isocourse knowledge``: check the product knowledge against current labels, and print
the clinical basis (the references the knowledge cites, docs/clinical-basis.md).

Only typer is imported at module level: the knowledge, the file reader and rich are
imported when the command runs, so the command line starts fast.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from isocourse.knowledge.label_check import CheckReport

EXIT_DIFFERENT = 1

knowledge_app = typer.Typer(
    help="Clinical knowledge: references; check against current labels.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class CheckFormat(StrEnum):
    text = "text"
    json = "json"


class BasisFormat(StrEnum):
    markdown = "markdown"
    json = "json"


@knowledge_app.command("basis")
def basis(
    output_format: Annotated[
        BasisFormat,
        typer.Option("--format", help="markdown (docs/clinical-basis.md) or json."),
    ] = BasisFormat.markdown,
) -> None:
    """Print the clinical basis: every reference the knowledge cites (issuer, title, date,
    link, confidence, note) and what cites it. Regenerate the documentation's copy with
    `isocourse knowledge basis > docs/clinical-basis.md`."""
    import sys

    from isocourse.cli.common import knowledge

    known = knowledge()
    if output_format is BasisFormat.json:
        import dataclasses
        import json

        rows = [
            {"id": reference_id, **dataclasses.asdict(reference)}
            for reference_id, reference in sorted(known.references.references.items())
        ]
        json.dump(rows, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    from isocourse.knowledge.basis import clinical_basis_markdown

    sys.stdout.write(clinical_basis_markdown(known, guide_source_texts()))


def guide_source_texts() -> dict[str, str]:
    """The guide's own sources (sources.toml and facts.toml), counted in the basis."""
    from isocourse.guide.catalogue import load_guide_catalogue

    catalogue = load_guide_catalogue()
    texts = {f"guide.sources.{name}": text for name, text in catalogue.sources.items()}
    texts.update({f"guide.facts.{name}": fact.source for name, fact in catalogue.facts.items()})
    return texts


@knowledge_app.command("check")
def check(
    labels: Annotated[
        Path,
        typer.Option(
            "--labels",
            help="Folder of label records in openFDA's JSON form (*.json), downloaded from "
            "https://api.fda.gov/drug/label.json; nothing is fetched.",
        ),
    ],
    output_format: Annotated[
        CheckFormat, typer.Option("--format", help="text (a table) or json.")
    ] = CheckFormat.text,
) -> None:
    """Compare the products' capsule strengths, allergen-bearing excipients and cited label
    versions with label records you downloaded from openFDA.

    A record matches the label cited with its set id, else its brand and labeler.
    Reported per product: strengths and allergen-bearing excipients that differ,
    labels newer than the version cited, labels the knowledge does not pin.
    Exit 0: all agree. Exit 1: differences (a table; --format json for scripts).
    Exit 2: the folder or a file cannot be read (the message names the file).
    """
    from isocourse.cli.common import fail, knowledge
    from isocourse.knowledge.label_check import check_labels
    from isocourse.label_files import LabelFileError, read_label_folder

    known = knowledge()
    try:
        records = read_label_folder(labels)
    except LabelFileError as error:
        fail(f"option '--labels': {error}")
    report = check_labels(records, known.products, known.conditions)
    if output_format is CheckFormat.json:
        import json
        import sys

        json.dump(report_json(report), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _render(report)
    if not report.agrees:
        raise typer.Exit(EXIT_DIFFERENT)


def report_json(report: CheckReport) -> dict[str, Any]:
    def finding(f: Any) -> dict[str, str]:
        return {
            "kind": f.kind,
            "file": f.file,
            "products": f.products,
            "label": f.label,
            "knowledge": f.knowledge,
            "record": f.record,
        }

    return {
        "agree": report.agrees,
        "checked": [
            {"file": file, "products": products, "label": label}
            for file, products, label in report.checked
        ],
        "differences": [finding(f) for f in report.differences],
        "notes": [finding(f) for f in report.notes],
    }


def _render(report: CheckReport) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    checked = Table(title="Label records checked", show_lines=False)
    for column in ("file", "product", "knowledge label"):
        checked.add_column(column, overflow="fold")
    for file, products, label in report.checked:
        checked.add_row(file, products, label)
    console.print(checked)
    for title, rows in (("Differences", report.differences), ("Notes", report.notes)):
        if not rows:
            continue
        table = Table(title=title, show_lines=True)
        for column in ("product", "what", "the knowledge", "the label record", "label", "file"):
            table.add_column(column, overflow="fold")
        for f in rows:
            table.add_row(f.products, f.kind, f.knowledge, f.record, f.label, f.file)
        console.print(table)
    if report.agrees:
        console.print(
            f"All {len(report.checked)} label record(s) agree with the knowledge.",
            highlight=False,
        )
    else:
        console.print(
            f"{len(report.differences)} difference(s): update knowledge/products.toml "
            "(see docs/clinical-basis.md), then run the check again.",
            highlight=False,
        )
