"""The command line keeps the validated knowledge between runs, and never a wrong one."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from isocourse.cli import knowledge_cache
from isocourse.cli.knowledge_cache import cache_folder, cached_knowledge, knowledge_key
from isocourse.knowledge.loader import KnowledgeError, load_knowledge


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "isocourse"


def test_the_cached_knowledge_equals_the_loaded_one(cache_home: Path) -> None:
    first = cached_knowledge()
    files = list(cache_home.glob("knowledge-*.pickle"))
    assert [f.name for f in files] == [f"knowledge-{knowledge_key()}.pickle"]
    assert oct(files[0].stat().st_mode & 0o777) == oct(0o600)
    again = cached_knowledge()
    assert again is not first  # read back from the file, not the same object
    assert again == load_knowledge()


def test_a_broken_cache_file_is_loaded_afresh_and_replaced(cache_home: Path) -> None:
    cache_home.mkdir(mode=0o700)
    path = cache_home / f"knowledge-{knowledge_key()}.pickle"
    path.write_bytes(b"not a pickle")
    path.chmod(0o600)
    assert cached_knowledge() == load_knowledge()
    assert pickle.loads(path.read_bytes()) == load_knowledge()


def test_a_file_of_another_type_is_never_taken_for_the_knowledge(cache_home: Path) -> None:
    cache_home.mkdir(mode=0o700)
    path = cache_home / f"knowledge-{knowledge_key()}.pickle"
    path.write_bytes(pickle.dumps({"alerts": {}}))
    path.chmod(0o600)
    assert cached_knowledge() == load_knowledge()


def test_a_folder_others_may_write_is_not_used(cache_home: Path) -> None:
    cache_home.mkdir()
    cache_home.chmod(0o777)
    assert cache_folder() is None
    assert cached_knowledge() == load_knowledge()
    assert list(cache_home.iterdir()) == []


def test_a_change_to_any_knowledge_file_changes_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = knowledge_key()
    original = knowledge_cache._files

    def with_an_edit(folder: object, prefix: str) -> list[tuple[str, object]]:
        found = original(folder, prefix)  # type: ignore[arg-type]
        edited = tmp_path / "labs.toml"
        name, file = next((n, f) for n, f in found if n.endswith("/labs.toml"))
        edited.write_bytes(file.read_bytes() + b"\n# edited\n")
        return [(n, edited if n == name else f) for n, f in found]

    monkeypatch.setattr(knowledge_cache, "_files", with_an_edit)
    assert knowledge_key() != before


def test_knowledge_that_fails_to_load_is_never_cached(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise KnowledgeError("labs.toml: field 'x': broken")

    monkeypatch.setattr("isocourse.knowledge.loader.load_knowledge", broken)
    with pytest.raises(KnowledgeError):
        cached_knowledge()
    assert not cache_home.exists() or list(cache_home.glob("knowledge-*")) == []


def test_an_older_keys_file_is_removed_when_a_new_one_is_written(cache_home: Path) -> None:
    cache_home.mkdir(mode=0o700)
    stale = cache_home / "knowledge-0000.pickle"
    stale.write_bytes(b"old")
    cached_knowledge()
    assert not stale.exists()
    assert [p.name for p in cache_home.iterdir()] == [f"knowledge-{knowledge_key()}.pickle"]
