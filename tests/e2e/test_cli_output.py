"""Text output that survives a pipe and a narrow terminal: no code, source or option name
is ever cut, at 80 columns and at 200, on a terminal and piped."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from isocourse.cli import COMMANDS, GROUPS, app
from isocourse.cli.output import Cell, Column, print_listing
from isocourse.knowledge.loader import load_knowledge

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "course-record.json"
runner = CliRunner()
ELLIPSIS = "…"
CODES = sorted(load_knowledge().alerts)


def on_terminal(width: int, *arguments: str) -> str:
    """The command's output on a terminal ``width`` columns wide."""
    environment = {"TTY_COMPATIBLE": "1", "COLUMNS": str(width), "NO_COLOR": "1"}
    result = runner.invoke(app, list(arguments), env=environment)
    assert result.exit_code == 0, result.output
    return re.sub(r"\x1b\[[0-9;]*m", "", result.output)  # styles (bold, dim) take no columns


def piped(*arguments: str) -> str:
    """The command's standard output through a pipe (a real process, as in a shell)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"TTY_COMPATIBLE", "FORCE_COLOR", "COLUMNS"}
    }
    result = subprocess.run(
        [sys.executable, "-m", "isocourse", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
        env=environment,
    )
    return result.stdout


def words(text: str) -> str:
    """The text's words in order, without table borders and line breaks."""
    return " ".join(re.sub(r"[│┃║|┏┓┗┛┡┩└┘├┤┼━─╇╈┳┻╋]", " ", text).split())


def whole(source: str) -> re.Pattern[str]:
    """``source`` as it must read in wrapped output: its words in order, separated by
    any white space; a word longer than a column (a web address) may be folded across
    lines, but no character is dropped."""
    parts = []
    for token in source.split():
        if len(token) > 40:
            parts.append(r"\s*".join(re.escape(character) for character in token))
        else:
            parts.append(re.escape(token))
    return re.compile(r"\s+".join(parts))


def alert_sources() -> dict[str, str]:
    answer = json.loads(piped("evaluate", str(EXAMPLE)))
    return {alert["code"]: alert["source"] for alert in answer["alerts"]}


# -- isocourse rules ---------------------------------------------------------------------


def test_rules_piped_gives_one_whole_tab_separated_line_per_code() -> None:
    lines = piped("rules").splitlines()
    assert lines[0].startswith("# ") and lines[1].split("\t") == [
        "code",
        "severity",
        "meaning",
        "source",
    ]
    rows = [line.split("\t") for line in lines[2:]]
    assert sorted(row[0] for row in rows) == CODES
    assert all(len(row) == 4 and all(row) for row in rows)
    catalogue = {entry["code"]: entry for entry in json.loads(piped("rules", "--format", "json"))}
    for code, severity, meaning, source in rows:
        assert (severity, meaning, source) == (
            catalogue[code]["severity"],
            catalogue[code]["title"],
            catalogue[code]["source"],
        )
    assert ELLIPSIS not in "\n".join(lines)


@pytest.mark.parametrize("width", [80, 200])
def test_rules_on_a_terminal_never_cuts_a_code(width: int) -> None:
    output = on_terminal(width, "rules")
    assert ELLIPSIS not in output
    assert max(len(line) for line in output.splitlines()) <= width
    for code in CODES:
        assert re.search(rf"(^|[\s│]){re.escape(code)}([\s│]|$)", output, re.MULTILINE), code


def test_rules_at_80_columns_wraps_the_sources_at_words_and_keeps_them_whole() -> None:
    output = words(on_terminal(80, "rules"))
    for entry in json.loads(piped("rules", "--format", "json")):
        assert whole(entry["source"]).search(output), entry["code"]


def test_rules_at_200_columns_is_a_table() -> None:
    output = on_terminal(200, "rules")
    assert "┃ code" in output


# -- isocourse programmes -------------------------------------------------------------


def test_programmes_piped_gives_one_line_per_rule_set_with_its_source_whole() -> None:
    lines = piped("programmes").splitlines()
    rows = [line.split("\t") for line in lines[2:]]
    catalogue = json.loads(piped("programmes", "--format", "json"))
    assert [row[0] for row in rows] == [entry["id"] for entry in catalogue]
    for row, entry in zip(rows, catalogue, strict=True):
        assert row[3] == entry["source"]
        assert all(rule in row[2] for rule in entry["rules"])


@pytest.mark.parametrize("width", [80, 200])
def test_programmes_on_a_terminal_keeps_ids_and_sources_whole(width: int) -> None:
    output = on_terminal(width, "programmes")
    assert ELLIPSIS not in output
    text = words(output)
    for entry in json.loads(piped("programmes", "--format", "json")):
        assert entry["id"] in output
        if width == 80:  # blocks: every source reads whole once the lines are joined
            assert whole(entry["source"]).search(text)


# -- isocourse evaluate --format text --explain -----------------------------------------


def test_evaluate_text_piped_keeps_every_alert_and_source_on_its_line() -> None:
    output = piped("evaluate", str(EXAMPLE), "--format", "text", "--explain")
    for code, source in alert_sources().items():
        (line,) = [line for line in output.splitlines() if f"\t{code}\t" in line]
        assert line.endswith(f"\t{source}")
    assert "\x1b[" not in output  # no colour codes in a pipe


@pytest.mark.parametrize("width", [80, 200])
def test_evaluate_text_on_a_terminal_never_cuts_codes_or_sources(width: int) -> None:
    output = on_terminal(width, "evaluate", str(EXAMPLE), "--format", "text", "--explain")
    assert ELLIPSIS not in output
    assert max(len(line) for line in output.splitlines()) <= width
    for code in alert_sources():
        assert re.search(rf"(^|[\s│]){re.escape(code)}([\s│]|$)", output, re.MULTILINE), code


def test_evaluate_text_at_80_columns_wraps_words_not_one_word_a_line() -> None:
    output = on_terminal(80, "evaluate", str(EXAMPLE), "--format", "text", "--explain")
    text = words(output)
    links = set()
    for source in alert_sources().values():
        assert whole(source).search(text), source
        links |= {token.rstrip(";") for token in source.split() if token.startswith("https://")}
    # a web address cannot be wrapped at words (it is folded whole): judge the prose
    prose = output
    for link in links:
        prose = whole(link).sub("", prose)
    indented = [
        line.strip()
        for line in prose.splitlines()
        if line.startswith("  ") and re.search(r"[A-Za-z]", line)
    ]
    assert indented, output
    # wrapped at words across the width, not a narrow column of one to three words
    assert sum(len(line.split()) for line in indented) / len(indented) >= 6


# -- help ------------------------------------------------------------------------------


def option_names() -> dict[str, list[str]]:
    """Every command (and group command) -> the option names it declares."""
    click_app = typer.main.get_command(app)
    found: dict[str, list[str]] = {}
    for name in [*COMMANDS, *GROUPS]:
        command = click_app.commands[name]  # type: ignore[attr-defined]
        children = getattr(command, "commands", {})
        for path, each in [([name], command)] + [
            ([name, child], sub) for child, sub in children.items()
        ]:
            found[" ".join(path)] = [
                option
                for param in each.params
                for option in [*param.opts, *param.secondary_opts]
                if option.startswith("-")
            ]
    return found


@pytest.mark.parametrize("command", sorted(option_names()))
@pytest.mark.parametrize("width", [80, 200])
def test_every_commands_help_prints_every_option_name_whole(command: str, width: int) -> None:
    result = runner.invoke(app, [*command.split(), "--help"], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    assert ELLIPSIS not in result.output
    for option in option_names()[command]:
        assert re.search(rf"(^|[\s,/]){re.escape(option)}([\s,=/]|$)", result.output, re.M), (
            f"isocourse {command} --help at {width} columns: {option} cut or missing"
        )


def test_guide_help_piped_keeps_the_long_option_name_whole() -> None:
    output = piped("guide", "--help")
    assert "--can-get-pregnant / --cannot-get-pregnant" in output
    assert ELLIPSIS not in output


def test_the_command_list_gives_each_command_a_whole_line() -> None:
    output = piped("--help")
    listed = output.split("Commands:", 1)[1]
    for name, (_module, _function, short_help) in COMMANDS.items():
        assert re.search(rf"^  {re.escape(name)}\s+{re.escape(short_help)}$", listed, re.M), name
    assert "..." not in listed and ELLIPSIS not in output


# -- the listing itself ----------------------------------------------------------------

COLUMNS = (Column("code", key=True), Column("what", label=""), Column("source"))
LONG_CODE = "A_VERY_LONG_ALERT_CODE_THAT_MUST_NEVER_BE_CUT_ANYWHERE"
ROW = (
    Cell(LONG_CODE, "bold"),
    "Stop the tetracycline or do not start isotretinoin: together they raise the risk of "
    "intracranial hypertension. Do not prescribe until the tetracycline has ended.",
    "https://www.accessdata.fda.gov/drugsatfda_docs/label/2023/021951s025lbl.pdf section 5.5",
)


def render(width: int, *, terminal: bool) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=terminal, color_system=None)
    print_listing(console, "Alerts", COLUMNS, [ROW, ROW])
    return out.getvalue()


def cells_of(output: str) -> list[list[str]]:
    """Each value of each row, its characters in order, from a listing on a terminal:
    per column of a table, or per block (code line, then each value's lines)."""
    lines = output.splitlines()
    if any("│" in line for line in lines):
        rows: list[list[str]] = []
        current: list[str] | None = None
        for line in lines:
            if line.startswith(("├", "└")):
                current = None
            elif line.startswith("│"):
                fragments = [part.strip() for part in line.strip("│").split("│")]
                if current is None:
                    current = [""] * len(fragments)
                    rows.append(current)
                for index, fragment in enumerate(fragments):
                    current[index] += "".join(fragment.split())
        return rows
    blocks = "\n".join(lines[1:]).strip().split("\n\n")
    found = []
    for block in blocks:
        code, text = block.split("\n  ", 1)
        what, source = text.split("source:", 1)
        found.append(["".join(code.split()), "".join(what.split()), "".join(source.split())])
    return found


@pytest.mark.parametrize("width", [40, 80, 120, 200])
def test_a_listing_on_a_terminal_keeps_every_character_of_every_value(width: int) -> None:
    output = render(width, terminal=True)
    assert ELLIPSIS not in output
    expected = ["".join(str(getattr(value, "text", value)).split()) for value in ROW]
    assert cells_of(output) == [expected, expected]
    if width >= 80:
        assert LONG_CODE in output  # whole on one line


def test_a_listing_off_a_terminal_is_tab_separated_whole_lines() -> None:
    output = render(20, terminal=False).splitlines()
    assert output == [
        "# Alerts",
        "code\twhat\tsource",
        f"{LONG_CODE}\t{ROW[1]}\t{ROW[2]}",
        f"{LONG_CODE}\t{ROW[1]}\t{ROW[2]}",
    ]


def test_a_line_break_or_tab_inside_a_value_cannot_break_the_piped_row() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False)
    print_listing(console, "t", COLUMNS, [("CODE", "first line\nsecond\tline", "src")])
    assert out.getvalue().splitlines()[2] == "CODE\tfirst line; second line\tsrc"
