"""Tests for toil_core.lib.io."""
import io
import os
import stat

import pytest

from toil_core.lib.io import (
    AtomicFileCreate,
    WriteWatchingStream,
    atomic_copy,
    atomic_copyobj,
    make_public_dir,
    mkdtemp,
    robust_rmtree,
    try_path,
)


def test_rmtree_removes_nested_tree(tmp_path):
    tree = tmp_path / "t"
    (tree / "a" / "b").mkdir(parents=True)
    (tree / "a" / "b" / "f").write_text("x")
    robust_rmtree(str(tree))
    assert not tree.exists()


def test_rmtree_missing_path_is_fine(tmp_path):
    robust_rmtree(str(tmp_path / "nope"))


def test_rmtree_single_file(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    robust_rmtree(str(f))
    assert not f.exists()


def test_rmtree_does_not_follow_symlinks(tmp_path):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "precious").write_text("x")
    tree = tmp_path / "t"
    tree.mkdir()
    (tree / "link").symlink_to(keep)
    robust_rmtree(str(tree))
    assert (keep / "precious").exists() and not tree.exists()


def test_rmtree_accepts_bytes(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    robust_rmtree(os.fsencode(str(d)))
    assert not d.exists()


def test_atomic_create_installs_on_success(tmp_path):
    final = tmp_path / "out.txt"
    with AtomicFileCreate(str(final)) as tmp:
        assert tmp != str(final) and os.path.dirname(tmp) == str(tmp_path) and tmp.endswith(".txt")
        with open(tmp, "w") as f:
            f.write("done")
        assert not final.exists()
    assert final.read_text() == "done"


def test_atomic_create_discards_on_failure(tmp_path):
    final = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with AtomicFileCreate(str(final)) as tmp:
            open(tmp, "w").close()
            raise RuntimeError("fail")
    assert os.listdir(tmp_path) == []


def test_atomic_create_keep_leaves_temp_on_failure(tmp_path):
    with pytest.raises(RuntimeError):
        with AtomicFileCreate(str(tmp_path / "out"), keep=True) as tmp:
            open(tmp, "w").close()
            raise RuntimeError("fail")
    assert os.path.exists(tmp) and not (tmp_path / "out").exists()


def test_atomic_copy_copies_content_and_mode(tmp_path):
    src = tmp_path / "src"
    src.write_text("data")
    src.chmod(0o750)
    atomic_copy(str(src), str(tmp_path / "dst"))
    assert (tmp_path / "dst").read_text() == "data"
    assert stat.S_IMODE((tmp_path / "dst").stat().st_mode) == 0o750


def test_atomic_copy_executable_flag(tmp_path):
    src = tmp_path / "src"
    src.write_text("data")
    src.chmod(0o644)
    atomic_copy(str(src), str(tmp_path / "dst"), executable=True)
    assert os.access(tmp_path / "dst", os.X_OK)


def test_atomic_copyobj(tmp_path):
    atomic_copyobj(io.BytesIO(b"abc" * 10000), str(tmp_path / "dst"))
    assert (tmp_path / "dst").read_bytes() == b"abc" * 10000


def test_make_public_dir_short_name_world_writable(tmp_path):
    path = make_public_dir(str(tmp_path))
    assert os.path.dirname(path) == str(tmp_path) and len(os.path.basename(path)) == 4
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o777


def test_make_public_dir_unique(tmp_path):
    assert len({make_public_dir(str(tmp_path)) for _ in range(50)}) == 50


def test_mkdtemp_creates_parent_and_is_absolute(tmp_path):
    path = mkdtemp(prefix="x", dir=str(tmp_path / "new"))
    assert os.path.isabs(path) and os.path.isdir(path) and os.path.basename(path).startswith("x")


def test_try_path_creates_directory(tmp_path):
    assert try_path(str(tmp_path / "a" / "b")) == str(tmp_path / "a" / "b")


def test_try_path_unusable_returns_none(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert try_path(str(blocker / "sub")) is None


def test_write_watching_stream_counts_bytes():
    seen = []
    backing = io.BytesIO()
    stream = WriteWatchingStream(backing)
    stream.onWrite(seen.append)
    stream.write(b"hello")
    stream.writelines([b"ab", b"c"])
    assert seen == [5, 2, 1] and backing.getvalue() == b"helloabc"


def test_write_watching_stream_close_closes_backing():
    backing = io.BytesIO()
    stream = WriteWatchingStream(backing)
    stream.close()
    assert backing.closed and stream.closed
