"""The repository explains itself: no tracked file points outside it.

The product owner's specification is input to the project, not part of it: a clone does
not have it, so no file may send a reader there (``../shared``) or cite its files
("clinical-facts.md §7", "rules.md LAB_TG_HIGH", "see course-record.md"). The project's own
pages under docs/ (docs/rules.md, docs/course-record.md, docs/clinical-basis.md) are fine,
as a path or as a Markdown link between pages of docs/.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
THIS_FILE = Path(__file__).resolve().relative_to(ROOT).as_posix()

# a name not preceded by a path, a Markdown link text "[" or target "](", or a word character
_BARE = r"(?<![\w/\[.-])(?<!\]\()"
FORBIDDEN = {
    "the spec folder": re.compile(r"\.\./shared|/work/shared"),
    "the spec's clinical facts": re.compile(r"clinical-facts"),
    "a spec file": re.compile(_BARE + r"(architecture|toolchain|style)\.md"),
    "the spec's rules or record format": re.compile(_BARE + r"(rules|course-record)\.md"),
}


def tracked_files() -> list[str]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
        )
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    return [name for name in listed.stdout.decode().split("\0") if name]


def offences(text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for what, pattern in FORBIDDEN.items():
            match = pattern.search(line)
            if match:
                found.append(f"line {number}: {what}: {match.group(0)!r}")
    return found


def test_no_tracked_file_points_to_the_spec_or_cites_its_files() -> None:
    problems = []
    files = tracked_files()
    assert len(files) > 100
    for name in files:
        if name == THIS_FILE:
            continue  # this test's own pattern list
        path = ROOT / name
        if not path.is_file():
            continue  # deleted in the work tree, not yet committed
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # images and other binary files
        problems += [f"{name} {problem}" for problem in offences(text)]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    "line",
    [
        "see ../shared/spec/rules.md",
        "Sources: clinical-facts.md §7",
        'source = "rules.md LAB_TG_HIGH; NCEP ATP III"',
        "Format isocourse.assessment/1 (see ``course-record.md``).",
        "as architecture.md says",
        'Rules for the programmes (rules.md, "Pregnancy prevention").',
    ],
)
def test_a_citation_of_the_spec_is_caught(line: str) -> None:
    assert offences(line)


@pytest.mark.parametrize(
    "line",
    [
        "regenerate docs/rules.md",
        "the [alert catalogue](rules.md#product-decisions)",
        "[course-record.md](course-record.md)",
        "see docs/clinical-basis.md and docs/course-record.md",
    ],
)
def test_the_projects_own_pages_are_fine(line: str) -> None:
    assert offences(line) == []
