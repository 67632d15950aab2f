"""The plugin index (toil_core.plugins.index): a cached metadata scan that is never stale."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any, List, Tuple

import pytest

from toil_core.plugins import index
from toil_core.plugins import metadata
from toil_core.testing.fake_dist import make_fake_distribution

OLD = time.time_ns() - 3600 * 10**9  # an hour ago: settled


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty cache folder of this test's own (the index file of the real one is not touched)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    monkeypatch.delenv(index.ENV, raising=False)
    return folder


def _view(records) -> List[Tuple[Any, ...]]:
    return [(r, r.requires(), r.summary(), r.entry_point.name, r.entry_point.value, r.entry_point.group)
            for r in records]


def _age(folder: Path, ns: int) -> None:
    for path in [folder] + list(folder.rglob("*")):
        os.utime(path, ns=(ns, ns))


def _fake(tmp_path: Path, version: str = "1.0", points=None) -> Path:
    root = make_fake_distribution(tmp_path, "toil-indexed", version,
                                  points or {"toil.batch_systems": {"indexed": "indexed_mod"}},
                                  requires=["toil-core>=1.0,<2"], summary="an indexed plugin")
    _age(root, OLD)
    return root


def test_the_cached_scan_gives_the_records_of_a_full_scan(cache) -> None:
    first = metadata.scan()  # the installed distributions are settled: this stores the index
    key = index.fingerprint()
    assert key is not None and index.read(key) is not None
    cached = metadata.scan()
    assert _view(cached) == _view(first) and cached
    assert all(type(r.meta).__name__ == "_CachedHeaders" for r in cached)  # really from the index


def test_an_added_changed_or_removed_distribution_is_seen(cache, tmp_path, monkeypatch) -> None:
    root = _fake(tmp_path)
    monkeypatch.syspath_prepend(str(root))
    assert [r.version for r in metadata.scan() if r.distribution == "toil-indexed"] == ["1.0"]
    assert index.read(index.fingerprint()) is not None

    info = root / "toil_indexed-1.0.dist-info"
    (info / "entry_points.txt").write_text("[toil.batch_systems]\nindexed = indexed_mod\nother = other_mod\n")
    _age(root, OLD + 10**9)  # rewritten in place, as an editable reinstall does
    assert sorted(r.name for r in metadata.scan() if r.distribution == "toil-indexed") == ["indexed", "other"]

    text = (info / "METADATA").read_text().replace("Version: 1.0", "Version: 1.1")
    (info / "METADATA").write_text(text)
    _age(root, OLD + 2 * 10**9)
    assert {r.version for r in metadata.scan() if r.distribution == "toil-indexed"} == {"1.1"}

    shutil.rmtree(info)
    assert [r for r in metadata.scan() if r.distribution == "toil-indexed"] == []


def test_files_too_new_to_trust_are_not_indexed(cache, tmp_path, monkeypatch) -> None:
    root = make_fake_distribution(tmp_path, "toil-fresh", "1.0", {"toil.batch_systems": {"fresh": "fresh_mod"}})
    monkeypatch.syspath_prepend(str(root))
    assert [r.name for r in metadata.scan() if r.distribution == "toil-fresh"] == ["fresh"]
    assert index.read(index.fingerprint()) is None  # written a moment ago: its time may hide a rewrite
    assert not index.settled([index.FORMAT, ["x", "x", [["a.dist-info", time.time_ns()]]]], [])


def test_the_index_can_be_switched_off(cache, monkeypatch) -> None:
    monkeypatch.setenv(index.ENV, "off")
    assert index.fingerprint() is None
    assert metadata.scan()
    assert not Path(index.index_path()).exists()


def test_a_damaged_index_file_falls_back_to_the_scan(cache) -> None:
    expected = _view(metadata.scan())
    Path(index.index_path()).write_text("{not json")
    assert _view(metadata.scan()) == expected


def test_only_the_most_recently_used_index_files_are_kept(cache, monkeypatch) -> None:
    monkeypatch.setattr(index, "KEEP", 2)
    folder = Path(index.index_folder())
    folder.mkdir(parents=True)
    for number, name in enumerate(["plugin-index-a.json", "plugin-index-b.json", "unrelated.json"]):
        (folder / name).write_text("{}")
        os.utime(folder / name, ns=(OLD + number * 10**9,) * 2)
    metadata.scan()  # writes this layout's file, then prunes down to KEEP
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["plugin-index-b.json", Path(index.index_path()).name, "unrelated.json"])


def test_the_core_version_comes_from_the_scanned_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """No second search of every distribution: toil-core's own entry point records carry its
    version, the one importlib.metadata finds."""
    import importlib.metadata

    expected = importlib.metadata.version("toil-core")

    def searched(name: str) -> str:
        raise AssertionError(f"importlib.metadata.version({name!r}) was called")

    monkeypatch.setattr(importlib.metadata, "version", searched)

    assert metadata._installed_core_version.__wrapped__() == expected
