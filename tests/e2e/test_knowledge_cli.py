"""``isocourse knowledge check`` end to end: exit codes, the table, JSON, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from isocourse.cli import app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "labels"
runner = CliRunner()


def check(folder: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["knowledge", "check", "--labels", str(folder), *extra])
    return result.exit_code, result.output


def test_the_current_labels_agree_exit_0() -> None:
    code, output = check(FIXTURES / "current")
    assert code == 0, output
    assert "All 7 label record(s) agree with the knowledge." in output


def test_a_changed_strength_exits_1_naming_product_and_strength() -> None:
    code, output = check(FIXTURES / "changed-strength", "--format", "json")
    assert code == 1
    report = json.loads(output)
    (difference,) = report["differences"]
    assert difference["kind"] == "strength"
    assert difference["products"] == "claravis"
    assert difference["file"] == "claravis-teva-with-35mg.json"
    assert "35 mg" in difference["record"]


def test_a_new_excipient_exits_1_naming_the_excipient(tmp_path: Path) -> None:
    code, output = check(FIXTURES / "new-excipient", "--format", "json")
    assert code == 1
    (difference,) = json.loads(output)["differences"]
    assert difference["kind"] == "allergen" and difference["products"] == "isotretinoin"
    assert "METHYLPARABEN" in difference["record"]


def test_the_table_lists_the_differences_among_the_current_labels(tmp_path: Path) -> None:
    for source in (FIXTURES / "current").glob("*.json"):
        shutil.copy(source, tmp_path / source.name)
    shutil.copy(
        FIXTURES / "changed-strength" / "claravis-teva-with-35mg.json",
        tmp_path / "claravis-teva.json",
    )
    code, output = check(tmp_path)
    assert code == 1
    assert "Differences" in output and "claravis" in output and "35 mg" in output
    assert "1 difference(s)" in output


def test_an_unreadable_file_exits_2_naming_it(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(
        (FIXTURES / "current" / "claravis-teva.json").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    (tmp_path / "truncated.json").write_text('{"set_id": "a3', encoding="utf-8")
    result = runner.invoke(app, ["knowledge", "check", "--labels", str(tmp_path)])
    assert result.exit_code == 2
    assert "truncated.json: not valid JSON" in result.output


def test_a_missing_folder_exits_2(tmp_path: Path) -> None:
    code, output = check(tmp_path / "nowhere")
    assert code == 2 and "no such folder" in output


def test_knowledge_check_has_help() -> None:
    result = runner.invoke(app, ["knowledge", "check", "--help"])
    assert result.exit_code == 0
    assert "--labels" in result.output and "Exit 1" in result.output
    assert runner.invoke(app, ["knowledge", "--help"]).exit_code == 0
