"""Writing onto the course summary's pages: titles kept with what follows, text set
flush left (never justified), tables without empty columns, images.

A title never stands alone at the foot of a page: :meth:`Page.title` is told the
height of the first thing under it, and starts a new page unless both fit.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, XPos, YPos

from isocourse.words import Words

_TITLE_MM = 9.0
_LINE_MM = 4.5
_ROW_MM = 5.0

#: the most a table cell shows of a free text (a lab's unit, a name): a row must fit on
#: one page, and a record may hold a lab unit of any length
CELL_TEXT_MAX = 200


def shortened(text: str, limit: int = CELL_TEXT_MAX) -> str:
    """``text``, cut to ``limit`` characters with an ellipsis (the record keeps it all)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def without_empty_columns(
    headings: Sequence[str] | None,
    rows: Sequence[Sequence[str]],
    widths: Sequence[float] | None = None,
) -> tuple[list[str] | None, list[list[str]], list[float] | None]:
    """The table without the columns no row fills (a heading alone is no content)."""
    count = len(headings) if headings is not None else max((len(r) for r in rows), default=0)
    kept = [i for i in range(count) if any(i < len(r) and r[i].strip() for r in rows)]
    return (
        None if headings is None else [headings[i] for i in kept],
        [[row[i] for i in kept] for row in rows],
        None if widths is None else [widths[i] for i in kept],
    )


class Page:
    """Writing helpers over one fpdf2 document, and the words it says things with."""

    def __init__(self, document: FPDF, font: str, words: Words) -> None:
        self.document = document
        self.font = font
        self.words = words

    def title(self, text: str, keep_with: float = 0.0) -> None:
        """A section's title, on the page where the first ``keep_with`` mm of its
        content start (a new page if both do not fit on this one)."""
        self.keep_together(_TITLE_MM + keep_with)
        self.document.ln(2)
        self.document.set_font(self.font, "B", 11)
        self.document.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.document.set_font(self.font, "", 9)

    def text(self, text: str, *, size: float = 9, bold: bool = False) -> None:
        self.document.set_font(self.font, "B" if bold else "", size)
        self.document.multi_cell(
            0, _LINE_MM, text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.document.set_font(self.font, "", 9)

    def height(self, text: str, size: float = 9, *, bold: bool = False) -> float:
        """The height ``text`` would take, written with :meth:`text`."""
        self.document.set_font(self.font, "B" if bold else "", size)
        lines = self.document.multi_cell(
            0, _LINE_MM, text, align=Align.L, dry_run=True, output=MethodReturnValue.LINES
        )
        self.document.set_font(self.font, "", 9)
        assert isinstance(lines, list)
        return _LINE_MM * len(lines)

    def keep_together(self, height: float) -> None:
        """Start a new page unless ``height`` fits on this one."""
        if self.document.will_page_break(height):
            self.document.add_page()

    def table(
        self,
        headings: Sequence[str] | None,
        rows: Sequence[Sequence[str]],
        widths: Sequence[float] | None = None,
    ) -> None:
        """A table; ``widths`` are the columns' relative widths (default: all equal).
        A column no row fills is left out."""
        headings, cells, shares = without_empty_columns(headings, rows, widths)
        self.document.set_font(self.font, "", 8.5)
        with self.document.table(
            line_height=_ROW_MM,
            text_align="LEFT",
            first_row_as_headings=headings is not None,
            col_widths=tuple(shares) if shares is not None else None,
        ) as table:
            if headings is not None:
                heading = table.row()
                for cell in headings:
                    heading.cell(cell)
            for values in cells:
                row = table.row()
                for cell in values:
                    row.cell(shortened(cell))
        self.document.set_font(self.font, "", 9)
        self.document.ln(2)

    def titled_table(
        self,
        title: str,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float] | None = None,
    ) -> None:
        """A section's title and its table, the title never alone at the foot of a page:
        the title, the headings and the first row start on the same page."""
        shown, cells, shares = without_empty_columns(headings, rows, widths)
        first = cells[0] if cells else []
        self.title(title, self.row_height(shown or [], shares) + self.row_height(first, shares))
        self.table(headings, rows, widths)

    def row_height(self, cells: Sequence[str], widths: Sequence[float] | None) -> float:
        """The height of one table row of ``cells`` (the tallest cell's wrapped lines)."""
        if not cells:
            return 0.0
        shares = list(widths) if widths is not None else [1.0] * len(cells)
        self.document.set_font(self.font, "", 8.5)
        tallest = 1
        for cell, share in zip(cells, shares, strict=True):
            width = self.document.epw * share / sum(shares) - 2 * self.document.c_margin
            lines = self.document.multi_cell(
                max(width, 1.0),
                _ROW_MM,
                shortened(cell),
                dry_run=True,
                output=MethodReturnValue.LINES,
            )
            assert isinstance(lines, list)
            tallest = max(tallest, len(lines))
        self.document.set_font(self.font, "", 9)
        return _ROW_MM * tallest + 2

    def image(self, png: bytes | None, title: str | None, missing: str) -> None:
        """A chart across the page, with its title on the same page."""
        if png is None:
            if title is not None:
                self.title(title, self.height(missing) if missing else 0.0)
            if missing:
                self.text(missing)
            return
        height = image_height(png, self.document.epw)
        if title is not None:
            self.title(title, height)
        else:
            self.keep_together(height)
        self.document.image(io.BytesIO(png), w=self.document.epw)


def image_height(png: bytes, width: float) -> float:
    """The height of a PNG drawn ``width`` wide (its size from the IHDR chunk)."""
    pixels_wide, pixels_high = struct.unpack(">II", png[16:24])
    return width * pixels_high / pixels_wide if pixels_wide else 0.0
