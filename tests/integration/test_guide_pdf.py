"""The guide as a PDF (moved from tests/unit/test_guide.py: rendering a PDF is not a
unit test's work)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from isocourse.guide.pdf import guide_pdf
from tests.unit.test_guide import AS_OF, guide_for


@pytest.mark.parametrize("core_font", [False, True])
def test_pdf_holds_the_product_name_and_the_guide(core_font: bool) -> None:
    rendered = guide_for("absorica", "us-ipledge")
    pdf = guide_pdf(rendered, AS_OF, core_font=core_font)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Absorica" in text
    assert "Can I drink alcohol?" in text
    assert guide_pdf(rendered, AS_OF, core_font=core_font) == pdf
