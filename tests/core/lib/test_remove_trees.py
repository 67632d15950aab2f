"""toil_core.lib.io.remove_trees: the file job store's destroy, directories removed many at a time."""
from __future__ import annotations

import os
from pathlib import Path

from toil_core.lib.io import remove_trees


def _tree(root: Path) -> Path:
    for fan in ("00", "0a", "ff"):
        for depth in ("", "job/x1", "job/x2/deeper"):
            folder = root / fan / depth
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "file").write_bytes(b"data")
    return root


def test_every_tree_is_removed(tmp_path: Path) -> None:
    trees = [_tree(tmp_path / "one"), _tree(tmp_path / "two")]

    remove_trees([str(tree) for tree in trees], workers=4)

    assert sorted(os.listdir(tmp_path)) == []


def test_a_link_to_a_directory_is_removed_not_followed(tmp_path: Path) -> None:
    outside = _tree(tmp_path / "outside")
    tree = _tree(tmp_path / "tree")
    (tree / "00" / "link").symlink_to(outside, target_is_directory=True)

    remove_trees([str(tree)])

    assert not tree.exists() and (outside / "00" / "file").read_bytes() == b"data"


def test_missing_paths_are_fine(tmp_path: Path) -> None:
    remove_trees([str(tmp_path / "never-made")])

    assert list(tmp_path.iterdir()) == []
