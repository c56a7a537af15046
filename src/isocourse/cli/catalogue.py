"""``isocourse rules``: the alert-code catalogue, generated from the knowledge data."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from isocourse.cli.common import knowledge
from isocourse.knowledge.references import sentence

if TYPE_CHECKING:
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
    """List every alert code: its severity, what it means and its source (short
    citations with links; docs/clinical-basis.md lists the references).

    Piped or redirected, text is one tab-separated line per code, values whole.
    """
    known = knowledge()
    if output_format is CatalogueFormat.json:
        json.dump(catalogue_json(known), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif output_format is CatalogueFormat.markdown:
        sys.stdout.write(catalogue_markdown(known))
    else:
        from isocourse.cli.output import Column, print_listing, stdout_console

        print_listing(
            stdout_console(),
            "isocourse alert codes",
            (
                Column("code", key=True),
                Column("severity", key=True),
                Column("meaning", label=""),
                Column("source"),
            ),
            [
                (d.code, d.severity, d.title, known.references.cite(d.source))
                for d in sorted(known.alerts.values(), key=lambda d: (d.concern, d.code))
            ],
        )


def catalogue_json(known: Knowledge) -> list[dict[str, str]]:
    return [
        {
            "code": d.code,
            "concern": d.concern,
            "severity": d.severity,
            "title": d.title,
            "message": d.message,
            "basis": sentence(d.source),
            "source": known.references.cite(d.source),
        }
        for d in sorted(known.alerts.values(), key=lambda d: (d.concern, d.code))
    ]


def catalogue_markdown(known: Knowledge) -> str:
    """docs/rules.md: every alert code with its basis and citations, then the product
    decisions (every knowledge entry that rests on an isocourse decision)."""
    lines = [
        "# Alert-code catalogue",
        "",
        "Generated from `src/isocourse/knowledge/` by `isocourse rules --format markdown`; "
        "a test fails when this file drifts from the data.",
        "Severity is the default; some rules raise it under a programme (see the message). "
        "Each source says what the rule rests on, then cites the references listed in "
        "[the clinical basis](clinical-basis.md).",
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
            _basis(known, definition.source),
        )
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    lines += _lab_thresholds_markdown(known)
    lines += _programmes_markdown(known)
    lines += [
        "",
        "## Product decisions",
        "",
        "Where no source sets a number or a behaviour, isocourse decides, and says so: these "
        "knowledge entries cite `isocourse-rules`. A clinic may change them in the knowledge "
        "data; none of them is clinical evidence.",
        "",
        "| knowledge entry | decision |",
        "|---|---|",
    ]
    for where, text in _decisions(known):
        lines.append(f"| `{_cell(where)}` | {_cell(_basis(known, text))} |")
    return "\n".join(lines) + "\n"


def _lab_thresholds_markdown(known: Knowledge) -> list[str]:
    """The lab alerts' thresholds, as the rules, the charts and the PDF apply them."""
    lines = [
        "",
        "## Lab thresholds",
        "",
        "The latest readable result of each test is judged against every threshold on it "
        "(`thresholds` in `labs.toml`), in the test's canonical unit; ULN is the reporting "
        "lab's own upper limit of normal, else the test's default below. The lab charts "
        "draw the same lines.",
        "",
        "| code | tests | threshold | severity | raised in addition to | source |",
        "|---|---|---|---|---|---|",
    ]
    labs = known.labs
    for code, threshold in labs.thresholds.items():
        tests = [labs.by_name(name) for name in threshold.tests]
        severity: str = known.alerts[code].severity
        change = threshold.severity_with_symptom
        if change is not None:
            severity += f"; {change.severity} with a {change.symptom} symptom"
        cells = (
            f"`{code}`",
            ", ".join(t.label for t in tests),
            f"{threshold.level}: {threshold.words(tests[0].unit)}",
            severity,
            ", ".join(threshold.in_addition_to) or "—",
            _basis(known, threshold.source)
            + ("" if change is None else f"; {_basis(known, change.source)}"),
        )
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    lines += ["", "Default upper limits of normal, when a result gives none:", ""]
    lines += [
        f"- {test.label}: {test.upper_limit_normal.value:g} {test.unit}"
        for test in labs.tests
        if test.upper_limit_normal is not None
    ]
    return lines


def _programmes_markdown(known: Knowledge) -> list[str]:
    """The programmes a record may name (`programmes.toml`) and their dated rule sets."""
    catalogue = known.programmes
    lines = [
        "",
        "## Programmes",
        "",
        "A course record's `programme` is one of these ids, or `none`; the rule set in force "
        "on a prescription's date judges it (`isocourse programmes` lists each rule set's "
        "rules).",
        "",
        "| id | programme | short name | its pregnancy categories | rule sets (in force from) "
        "| source |",
        "|---|---|---|---|---|---|",
    ]
    for programme_id, programme in catalogue.programmes.items():
        rulesets = ", ".join(
            f"{r.id} ({r.effective_from.isoformat()})" for r in catalogue.rulesets_of(programme_id)
        )
        categories = programme.categories
        cells = (
            f"`{programme_id}`",
            programme.title,
            programme.name,
            f"{categories.can_get_pregnant}; {categories.cannot_get_pregnant}",
            rulesets,
            _basis(known, programme.source),
        )
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return lines


def _basis(known: Knowledge, source: str) -> str:
    return f"{sentence(source)} — {known.references.markdown(source)}"


def _decisions(known: Knowledge) -> list[tuple[str, str]]:
    from isocourse.knowledge.references import citations, source_texts

    found: list[tuple[str, str]] = []
    for where, text in source_texts(known, "knowledge"):
        if any(c.id == "isocourse-rules" for c in citations(text)):
            found.append((where.removeprefix("knowledge.").removesuffix(".source"), text))
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
