"""The toilfile:/toildir: URI encoding (pure functions, no job store needed)."""
from __future__ import annotations

import pytest

pytest.importorskip("cwltool")

from toil.fileStores import FileID  # noqa: E402
from toil_cwl.fsaccess import ToilFsAccess  # noqa: E402
from toil_cwl.locations import (  # noqa: E402
    dir_uri,
    file_uri_for,
    parse_file_uri,
    resolve_entry,
    split_dir_uri,
    tree_size,
)


def test_file_uri_round_trip():
    fid = FileID("files/for-job/abc/def/my file.txt", 12, True)
    uri = file_uri_for(fid, "my file.txt")
    assert uri.startswith("toilfile:") and uri.endswith("/my%20file.txt")
    back, name = parse_file_uri(uri)
    assert back == fid and back.size == 12 and back.executable
    assert name == "my file.txt"


def test_dir_uri_navigation():
    a = file_uri_for(FileID("id-a", 1), "a.txt")
    b = file_uri_for(FileID("id-b", 2), "b.txt")
    uri = dir_uri({"a.txt": a, "sub": {"b.txt": b}, "empty": {}}, "top")
    encoded, name, parts = split_dir_uri(uri)
    assert name == "top" and parts == []
    assert resolve_entry(uri)[0] == "dir"
    assert resolve_entry(uri + "/a.txt") == ("file", a)
    assert resolve_entry(uri + "/sub/b.txt") == ("file", b)
    assert resolve_entry(uri + "/sub")[0] == "dir"
    assert resolve_entry(uri + "/nope")[0] == "missing"
    assert resolve_entry(uri + "/../a.txt")[0] == "missing"
    assert tree_size({"a": a, "s": {"b": b}}) == 2


def test_fs_access_answers_without_downloading():
    a = file_uri_for(FileID("id-a", 7), "a.txt")
    uri = dir_uri({"a.txt": a, "sub": {}}, "top")
    fs = ToilFsAccess("/nonexistent")
    assert fs.exists(uri) and fs.isdir(uri) and not fs.isfile(uri)
    assert fs.isfile(a) and fs.size(a) == 7
    listing = fs.listdir(uri)
    assert [entry.rsplit("/", 1)[1] for entry in listing] == ["a.txt", "sub"]
    assert fs.isfile(listing[0]) and fs.size(listing[0]) == 7
    assert fs.isdir(listing[1]) and fs.listdir(listing[1]) == []
    assert not fs.exists(uri + "/missing")
