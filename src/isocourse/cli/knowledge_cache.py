"""The validated knowledge, kept between runs of the command line.

Loading the knowledge validates every file against its types (pydantic builds a
validator per part), which costs about as much CPU as a Python process that imports
Typer and pydantic. A command such as ``isocourse evaluate`` runs once per record, so it
keeps the validated result in the user's cache folder and reads it back while nothing it
was made from has changed (``benchmarks/bench_startup.py``; RESULTS.md has the A/B).

- The cache key is a SHA-256 over every file of the knowledge package (the data *and*
  the types that read it), the record and assessment types, and the versions of
  isocourse, Python and pydantic: any change in any of them gives a new key, so a stale
  result is never read; the program validates afresh and writes the new result.
- The file is written only after a successful load (a knowledge file that fails to
  validate is never cached), atomically, readable by its owner only, in a folder only
  its owner may write (``$XDG_CACHE_HOME/isocourse`` or ``~/.cache/isocourse``). A pickle
  runs code when read, so a file in a folder others can write is never read.
- Anything that goes wrong with the cache (no home folder, a read-only disk, a broken
  file) falls back to loading the knowledge afresh; the cache can make a run faster,
  never different.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
import tempfile
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from isocourse.knowledge.model import Knowledge

_PICKLE_PROTOCOL = 5


def cached_knowledge() -> Knowledge:
    """The validated knowledge: from the cache when its key matches, else loaded."""
    from isocourse.knowledge.loader import load_knowledge

    folder = cache_folder()
    path = folder / f"knowledge-{knowledge_key()}.pickle" if folder is not None else None
    if path is not None:
        kept = _read(path)
        if kept is not None:
            return kept
    knowledge = load_knowledge()
    if path is not None:
        _write(path, knowledge)
    return knowledge


def cache_folder() -> Path | None:
    """The user's cache folder for isocourse, or None where there is no safe one."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(base) / "isocourse"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except (OSError, RuntimeError):
        return None
    owned = info.st_uid == os.getuid() if hasattr(os, "getuid") else True
    others_write = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    return folder if owned and not others_write else None


def knowledge_key() -> str:
    """What the validated knowledge depends on, as one digest."""
    import pydantic

    from isocourse import __version__

    digest = hashlib.sha256()
    for part in (__version__, sys.version, pydantic.VERSION):
        digest.update(part.encode() + b"\0")
    package = resources.files("isocourse")
    sources = [*_files(package.joinpath("knowledge"), "knowledge")]
    sources += [("record.py", package.joinpath("record.py"))]
    sources += [("assessment.py", package.joinpath("assessment.py"))]
    # the patient guide's texts and templates are read by the guide, not kept here
    for name, file in sorted(sources, key=lambda item: item[0]):
        digest.update(name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def _files(folder: Traversable, prefix: str) -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for entry in folder.iterdir():
        name = f"{prefix}/{entry.name}"
        if entry.is_dir():
            if entry.name not in ("__pycache__", "guide"):
                found += _files(entry, name)
        elif not entry.name.endswith((".pyc", ".pyo")):
            found.append((name, entry))
    return found


def _read(path: Path) -> Knowledge | None:
    from isocourse.knowledge.model import Knowledge

    try:
        info = path.stat()
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return None
        with path.open("rb") as handle:
            kept = pickle.load(handle)
    except Exception:  # a missing or broken cache: load afresh
        return None
    return kept if isinstance(kept, Knowledge) else None


def _write(path: Path, knowledge: Knowledge) -> None:
    """Write atomically (a reader never sees half a file), then drop older keys' files."""
    temporary: str | None = None
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".knowledge-")
        with os.fdopen(handle, "wb") as out:  # mkstemp: readable by its owner only
            pickle.dump(knowledge, out, protocol=_PICKLE_PROTOCOL)
        Path(temporary).replace(path)
        temporary = None
        for older in path.parent.glob("knowledge-*.pickle"):
            if older != path:
                older.unlink(missing_ok=True)
    except Exception:  # a cache that cannot be written only costs time
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
