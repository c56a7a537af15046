"""``isocourse programmes``: the programmes, their rule sets, dates and sources.

Everything shown is the knowledge's (``programmes.toml``): a programme added there is
listed here with its rule sets, names and categories, with no change of code.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from isocourse.cli.common import knowledge

if TYPE_CHECKING:
    from collections.abc import Callable

    from isocourse.knowledge.programmes import ProgrammeCatalogue, RuleSet


class ProgrammesFormat(StrEnum):
    text = "text"
    json = "json"


def programmes(
    output_format: Annotated[
        ProgrammesFormat, typer.Option("--format", help="text (a table) or json.")
    ] = ProgrammesFormat.text,
) -> None:
    """List the pregnancy-prevention programmes' rule sets: programme, dates in force,
    main rules, source.

    A course record's programme is one of the programme ids listed, or none. The rule set
    in force on a prescription's date judges it. Piped or redirected, text is one
    tab-separated line per rule set, values whole.
    """
    known = knowledge()
    catalogue = known.programmes
    cite = known.references.cite
    if output_format is ProgrammesFormat.json:
        json.dump(programmes_json(catalogue, cite), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    from isocourse.cli.output import Column, print_listing, stdout_console

    print_listing(
        stdout_console(),
        "isocourse programme rule sets",
        (
            Column("rule set", key=True),
            Column("in force", key=True),
            Column("rules", label=""),
            Column("source"),
        ),
        [
            (
                ruleset.id,
                _in_force_text(catalogue, ruleset),
                "\n".join(
                    [
                        ruleset.title,
                        *programme_lines(catalogue, ruleset.programme),
                        *ruleset_summary(ruleset),
                    ]
                ),
                cite(ruleset.source),
            )
            for ruleset in _ordered(catalogue)
        ],
    )


def programmes_json(
    catalogue: ProgrammeCatalogue, cite: Callable[[str], str]
) -> list[dict[str, Any]]:
    """Every rule set with its dates, its rules in a few lines, and its sources (the
    short citations with links that ``cite`` makes of each source)."""
    rows = []
    for ruleset in _ordered(catalogue):
        last_day = catalogue.last_day(ruleset)
        entry = catalogue.programmes[ruleset.programme]
        rows.append(
            {
                "id": ruleset.id,
                "programme": ruleset.programme,
                "programme_name": entry.name,
                "programme_title": entry.title,
                "categories": {
                    "can_get_pregnant": entry.categories.can_get_pregnant,
                    "cannot_get_pregnant": entry.categories.cannot_get_pregnant,
                },
                "title": ruleset.title,
                "effective_from": ruleset.effective_from.isoformat(),
                "effective_to": last_day.isoformat() if last_day else None,
                "rules": ruleset_summary(ruleset),
                "source": cite(ruleset.source),
                "sources": {name: cite(text) for name, text in _part_sources(ruleset).items()},
            }
        )
    return rows


def programme_lines(catalogue: ProgrammeCatalogue, programme: str) -> list[str]:
    """The programme of a rule set: its id, title and short name, and its categories."""
    entry = catalogue.programmes[programme]
    categories = entry.categories
    return [
        f"programme: {programme}, {entry.title}, short name {entry.name}",
        f"categories: {categories.can_get_pregnant}; {categories.cannot_get_pregnant}",
    ]


def ruleset_summary(ruleset: RuleSet) -> list[str]:
    """The rule set's parameters in plain words, one line each."""
    tests = ruleset.pregnancy_tests
    window = ruleset.dispense_window
    lines = [
        f"test settings before the first dose: {', '.join(tests.settings_before_first_dose)}",
        f"test settings during treatment: {', '.join(tests.settings_during_treatment)}",
        f"qualifying test: specimen from {tests.days_before_prescription} days before "
        "the prescription up to its day",
        f"dispense window: {window.days} days from the {window.anchor} day",
        _contraception_line(ruleset),
        f"maximum supply: {ruleset.supply.max_days_supply} days",
    ]
    lines += _optional_lines(ruleset)
    return lines


def _contraception_line(ruleset: RuleSet) -> str:
    scheme = ruleset.contraception
    options = " or ".join(c.description for c in scheme.combinations)
    return f"contraception: {options}, from {scheme.lead_days} days before"


def _optional_lines(ruleset: RuleSet) -> list[str]:
    lines = []
    confirmation = ruleset.confirmation
    if confirmation is not None:
        lockout = (
            f"{confirmation.lockout_days}-day lockout"
            if confirmation.lockout_days
            else "no lockout"
        )
        lines.append(
            f"confirmation test {confirmation.min_days_after_screening}+ days after "
            f"screening ({', '.join(confirmation.confirmation_settings)}); {lockout}"
        )
    counselling = ruleset.counselling
    for category, rule in (
        ("can get pregnant", counselling.can_get_pregnant),
        ("cannot get pregnant", counselling.cannot_get_pregnant),
    ):
        when = (
            f"in the {rule.within_days} days up to each prescription"
            if rule.within_days
            else "on or before the first prescription"
        )
        lines.append(f"counselling ({category}): {rule.kind} {when}")
    window_days = ruleset.cannot_get_pregnant.dispense_window_days
    lines.append(
        f"cannot get pregnant: dispense within {window_days} days of the prescription"
        if window_days
        else "cannot get pregnant: no dispense window"
    )
    if ruleset.second_prescriber is not None:
        lines.append(f"second prescriber under {ruleset.second_prescriber.under_age_years}")
    if ruleset.mental_health_assessment is not None:
        days = ruleset.mental_health_assessment.within_days
        lines.append(f"mental-health assessment in the {days} days up to each prescription")
    return lines


def _part_sources(ruleset: RuleSet) -> dict[str, str]:
    parts: dict[str, Any] = {
        "pregnancy_tests": ruleset.pregnancy_tests,
        "dispense_window": ruleset.dispense_window,
        "confirmation": ruleset.confirmation,
        "contraception": ruleset.contraception,
        "counselling.can_get_pregnant": ruleset.counselling.can_get_pregnant,
        "counselling.cannot_get_pregnant": ruleset.counselling.cannot_get_pregnant,
        "cannot_get_pregnant": ruleset.cannot_get_pregnant,
        "supply": ruleset.supply,
        "post_course": ruleset.post_course,
        "second_prescriber": ruleset.second_prescriber,
        "mental_health_assessment": ruleset.mental_health_assessment,
    }
    return {name: part.source for name, part in parts.items() if part is not None}


def _in_force_text(catalogue: ProgrammeCatalogue, ruleset: RuleSet) -> str:
    last_day = catalogue.last_day(ruleset)
    until = last_day.isoformat() if last_day else "open"
    return f"{ruleset.effective_from.isoformat()} to {until}"


def _ordered(catalogue: ProgrammeCatalogue) -> list[RuleSet]:
    return sorted(catalogue.rulesets, key=lambda r: (r.programme, r.effective_from))
