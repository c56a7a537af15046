"""The guide as a printable PDF (A4) for the clinic to hand out, made with fpdf2.

``guide_pdf(guide, as_of)`` returns the PDF's bytes: the guide's HTML (plain superscript
numbers for the sources) written by fpdf2's HTML renderer, with the disclaimer and page
numbers in every footer. DejaVu Sans is used when found (system fonts, then the copy
inside matplotlib); otherwise a core font, with the text made Latin-1-safe. The PDF is
dated by ``as_of``, not by the clock, so the same guide gives the same bytes.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from isocourse.guide.html import guide_html_fragment
from isocourse.guide.render import DISCLAIMER, RenderedGuide

FONT = "DejaVu"
CORE_FONT = "Helvetica"
_FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}
_LATIN1_SWAPS = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "≥": ">=",
        "≤": "<=",
        "−": "-",
        "…": "...",
    }
)


def font_folder() -> Path | None:
    """A folder holding the DejaVu Sans family, or None."""
    candidates = [Path("/usr/share/fonts/truetype/dejavu")]
    try:
        import matplotlib

        candidates.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        pass
    for folder in candidates:
        if all((folder / name).is_file() for name in _FONT_FILES.values()):
            return folder
    return None


class _GuideDocument(FPDF):
    def __init__(self, fonts: Path | None) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.family = CORE_FONT
        if fonts is not None:
            for style, name in _FONT_FILES.items():
                self.add_font(FONT, style, str(fonts / name))
            self.family = FONT
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=20)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(self.family, "", 7)
        self.set_text_color(90)
        self.multi_cell(
            0, 3.5, self.safe(DISCLAIMER), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.cell(0, 3.5, f"page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)

    def safe(self, text: str) -> str:
        """Text the current font can print (DejaVu prints everything we write)."""
        if self.family == FONT:
            return text
        swapped = unicodedata.normalize("NFKC", text.translate(_LATIN1_SWAPS))
        return swapped.encode("latin-1", errors="replace").decode("latin-1")


def guide_pdf(guide: RenderedGuide, as_of: date, *, core_font: bool = False) -> bytes:
    """The guide as PDF bytes, dated ``as_of`` (``core_font``: skip the DejaVu search)."""
    document = _GuideDocument(None if core_font else font_folder())
    document.set_title(document.safe(guide.title))
    document.set_author("isocourse")
    document.set_creation_date(datetime.combine(as_of, time(), tzinfo=UTC))
    document.add_page()
    document.set_font(document.family, "", 10)
    html = document.safe(guide_html_fragment(guide, links=False))
    document.write_html(html, font_family=document.family)
    return bytes(document.output())
