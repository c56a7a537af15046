"""``isocourse guide`` end to end: formats, search, a record, and errors naming the option."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader
from typer.testing import CliRunner

from isocourse.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "course-record.json"
runner = CliRunner()


def test_guide_help_explains_the_command() -> None:
    result = runner.invoke(app, ["guide", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Print the isotretinoin guide" in result.output
    assert "--can-get-pregnant" in result.output and "--search" in result.output


def test_guide_prints_markdown_for_a_product_and_programme() -> None:
    result = runner.invoke(
        app, ["guide", "--product", "absorica", "--programme", "us-ipledge", "--can-get-pregnant"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Your isotretinoin guide: Absorica")
    assert "## Preventing pregnancy" in result.output
    assert "Skip the dose you missed" in result.output
    assert "## Sources" in result.output


def test_guide_for_a_patient_who_cannot_get_pregnant_leaves_out_pregnancy_prevention() -> None:
    result = runner.invoke(app, ["guide", "--programme", "eu-ppp", "--cannot-get-pregnant"])
    assert result.exit_code == 0, result.output
    assert "## Preventing pregnancy" not in result.output
    assert "## Pregnancy rules that still apply to you" in result.output


def test_guide_search_prints_the_alcohol_answer() -> None:
    result = runner.invoke(app, ["guide", "--search", "alcohol"])
    assert result.exit_code == 0, result.output
    assert "## Can I drink alcohol?" in result.output
    assert "## What if I miss a dose?" not in result.output


def test_guide_writes_html_and_pdf_files(tmp_path: Path) -> None:
    html = tmp_path / "guide.html"
    result = runner.invoke(app, ["guide", "--format", "html", "--output", str(html)])
    assert result.exit_code == 0, result.output
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    pdf = tmp_path / "guide.pdf"
    args = ["guide", "--product", "claravis", "--format", "pdf", "-o", str(pdf)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "Claravis" in text


def test_guide_fitted_to_a_record_shows_the_patient_and_their_dates() -> None:
    result = runner.invoke(app, ["guide", "--record", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "## Your course at a glance" in result.output
    assert "Patient p-001" in result.output


def test_guide_bad_options_exit_2_naming_the_option(tmp_path: Path) -> None:
    cases = {
        "--product": ["guide", "--product", "nope"],
        "--programme": ["guide", "--programme", "mars"],
        "--output": ["guide", "--format", "pdf"],
        "--search": ["guide", "--search", "alcohol", "--format", "html"],
        "--record": ["guide", "--record", str(tmp_path / "missing.json")],
    }
    for option, args in cases.items():
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (option, result.output)
        assert option in result.output, (option, result.output)


def test_guide_option_that_disagrees_with_the_record_is_refused() -> None:
    result = runner.invoke(app, ["guide", "--record", str(EXAMPLE), "--product", "absorica"])
    assert result.exit_code == 2
    assert "--product" in result.output and "disagrees with the record" in result.output
