"""Text output that survives a pipe and a narrow terminal.

A listing (the alert codes, the programme rule sets, an assessment's alerts ...) is
printed in one of three ways, chosen by where standard output goes:

- not a terminal (a pipe, a file): one line per row, the values separated by tabs,
  each value whole (a line break inside a value becomes "; "), a header line first.
  ``isocourse rules | grep CODE`` finds the whole row; ``cut -f1`` gives the codes.
- a terminal wide enough: a table whose key columns (codes, ids, dates) are never
  wrapped or cut and whose text columns wrap at word boundaries (a word longer than the
  column, such as a web address, is folded, never shortened with an ellipsis);
- a narrower terminal (80 columns): one block per row, the key values on the first
  line, then each text value on its own wrapped lines.

Nothing is ever cut: every character of every value is printed in all three.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported when something is printed, not with the commands
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

#: a text column narrower than this makes the table unreadable: use blocks instead
MIN_TEXT_WIDTH = 24


@dataclass(frozen=True)
class Column:
    header: str
    #: a code, an id or a date: printed whole on one line, never wrapped
    key: bool = False
    #: the label before a text value in the block layout (None: the header; "": none)
    label: str | None = None


@dataclass(frozen=True)
class Cell:
    """A value with an optional rich style (the style is dropped when piped)."""

    text: str
    style: str = ""


Value = str | Cell


def stdout_console() -> Console:
    """The console for a command's readable output (standard output, whatever it is
    when a line is printed: a terminal, a pipe, a test's capture)."""
    from rich.console import Console

    return Console()


def print_line(console: Console, text: str | Text, style: str = "") -> None:
    """A paragraph of text (no markup read from it): wrapped at words on a terminal,
    one whole line, without styles, anywhere else (a pipe, a file)."""
    from rich.text import Text

    line = text if isinstance(text, Text) else Text(text, style=style)
    if console.is_terminal:
        console.print(line)
    else:
        console.file.write(line.plain + "\n")


def print_listing(
    console: Console,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Value]],
    *,
    show_lines: bool = True,
) -> None:
    """Print rows of values under ``title`` in the way that fits where they go."""
    if not console.is_terminal:
        _print_plain(console, title, columns, rows)
    elif _table_fits(console.width, columns, rows):
        console.print(_table(title, columns, rows, show_lines=show_lines))
    else:
        _print_blocks(console, title, columns, rows)


def _text(value: Value) -> str:
    return value.text if isinstance(value, Cell) else value


def _style(value: Value) -> str:
    return value.style if isinstance(value, Cell) else ""


def _plain_value(value: Value) -> str:
    return "; ".join(
        part.strip() for part in _text(value).replace("\t", " ").splitlines() if part.strip()
    )


def _print_plain(
    console: Console, title: str, columns: Sequence[Column], rows: Sequence[Sequence[Value]]
) -> None:
    out = console.file
    out.write(f"# {title}\n")
    out.write("\t".join(column.header for column in columns) + "\n")
    for row in rows:
        out.write("\t".join(_plain_value(value) for value in row) + "\n")
    out.flush()


def _key_width(index: int, column: Column, rows: Sequence[Sequence[Value]]) -> int:
    lines = [line for row in rows for line in _text(row[index]).splitlines()]
    return max([len(column.header), *(len(line) for line in lines)])


def _table_fits(width: int, columns: Sequence[Column], rows: Sequence[Sequence[Value]]) -> bool:
    borders = 3 * len(columns) + 1  # "│ " + " │ " between + " │"
    keys = sum(_key_width(i, c, rows) for i, c in enumerate(columns) if c.key)
    texts = sum(1 for column in columns if not column.key)
    return borders + keys + texts * MIN_TEXT_WIDTH <= width


def _table(
    title: str, columns: Sequence[Column], rows: Sequence[Sequence[Value]], *, show_lines: bool
) -> Table:
    from rich.table import Table
    from rich.text import Text

    # text columns share the width; a table of codes alone stays as narrow as they are
    table = Table(
        title=title, show_lines=show_lines, expand=any(not column.key for column in columns)
    )
    for index, column in enumerate(columns):
        if column.key:
            width = _key_width(index, column, rows)
            table.add_column(column.header, no_wrap=True, min_width=width)
        else:
            table.add_column(column.header, overflow="fold", ratio=1)
    for row in rows:
        table.add_row(*(Text(_text(value), style=_style(value)) for value in row))
    return table


def _print_blocks(
    console: Console, title: str, columns: Sequence[Column], rows: Sequence[Sequence[Value]]
) -> None:
    from rich.padding import Padding
    from rich.text import Text

    console.print(Text(title, style="bold"))
    for row in rows:
        console.print()
        head = Text()
        for column, value in zip(columns, row, strict=True):
            if column.key and _text(value):
                if head:
                    head.append("  ")
                head.append(_text(value), style=_style(value) or "bold")
        if head:
            head.overflow = "fold"
            console.print(head)
        for column, value in zip(columns, row, strict=True):
            if column.key or not _text(value):
                continue
            label = column.header if column.label is None else column.label
            body = Text(overflow="fold")
            if label:
                body.append(f"{label}: ", style="dim")
            body.append(_text(value), style=_style(value))
            console.print(Padding(body, (0, 0, 0, 2), expand=False))


__all__ = ["Cell", "Column", "Value", "print_line", "print_listing", "stdout_console"]
