"""docs/screenshots holds what scripts/screenshots takes, and the docs show each of them:
no image a page links to is missing, none is left over from an older script."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "docs" / "screenshots"
SHOT = re.compile(r"""camera\.shoot\(page, "([\w-]+)\"""")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)]+\.png)\)")


def taken_by_the_script() -> set[str]:
    return set(SHOT.findall((ROOT / "scripts" / "screenshots").read_text(encoding="utf-8")))


def shown_in(page: Path) -> set[Path]:
    text = page.read_text(encoding="utf-8")
    return {(page.parent / target).resolve() for target in IMAGE.findall(text)}


def test_the_folder_holds_exactly_what_the_script_takes() -> None:
    taken = taken_by_the_script()
    assert len(taken) >= 10, "the script's shots were not found"
    assert {path.stem for path in FOLDER.glob("*.png")} == taken


def test_every_image_the_docs_show_exists_and_web_md_shows_every_screenshot() -> None:
    readme, web = shown_in(ROOT / "README.md"), shown_in(ROOT / "docs" / "web.md")
    missing = sorted(str(path) for path in readme | web if not path.exists())
    assert not missing
    assert {path.resolve() for path in FOLDER.glob("*.png")} <= web
