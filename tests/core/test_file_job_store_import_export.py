"""FileJobStore import/export: file:// (copy, hard link, symlink, shared files, move exports)
and http:// against a local http.server."""
from __future__ import annotations

import os
import stat
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from toil_core.common.config import Config
from toil_core.filestores.file_id import FileID
from toil_core.jobstores.errors import NoSuchFileException
from toil_core.jobstores.file_job_store import FileJobStore


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "inputs" / "reads.fq"
    path.parent.mkdir()
    path.write_bytes(b"@r1\nACGT\n+\n!!!!\n")
    path.chmod(0o644)
    return path


def is_exec(path):
    return bool(os.stat(path).st_mode & stat.S_IXUSR)


def read(js, file_id):
    with js.read_file_stream(file_id) as handle:
        return handle.read()


def test_import_copy(store, source):
    fid = store.import_file("file://" + str(source))
    assert isinstance(fid, FileID)
    assert fid.size == source.stat().st_size and fid.executable is False
    assert fid.endswith("reads.fq")
    assert read(store, fid) == source.read_bytes()
    path = store.get_local_path(fid)
    assert not os.path.islink(path) and os.stat(path).st_ino != source.stat().st_ino
    source.write_bytes(b"changed later")
    assert read(store, fid) == b"@r1\nACGT\n+\n!!!!\n"


def test_import_bare_path_and_camel_case(store, source):
    fid = store.importFile(str(source))
    assert read(store, fid) == source.read_bytes()
    assert store.importFile(str(source), sharedFileName="shared.fq") is None
    with store.read_shared_file_stream("shared.fq") as handle:
        assert handle.read() == source.read_bytes()


def test_import_executable(store, tmp_path):
    tool = tmp_path / "tool"
    tool.write_bytes(b"#!/bin/sh\necho hi\n")
    tool.chmod(0o755)
    fid = store.import_file("file://" + str(tool))
    assert fid.executable is True and is_exec(store.get_local_path(fid))
    out = tmp_path / "exported" / "tool"
    store.export_file(fid, "file://" + str(out))
    assert out.read_bytes() == tool.read_bytes() and is_exec(out)
    assert store.import_file(str(tool)).executable is True  # bare path, same file again
    tool.chmod(0o644)
    plain = store.import_file("file://" + str(tool))
    store.export_file(plain, str(tmp_path / "exported" / "plain"))
    assert not is_exec(tmp_path / "exported" / "plain")


def test_import_symlink(store, source):
    fid = store.import_file("file://" + str(source), symlink=True)
    path = store.get_local_path(fid)
    assert os.path.islink(path) and os.path.realpath(path) == os.path.realpath(source)
    assert fid.size == source.stat().st_size
    assert read(store, fid) == source.read_bytes()
    store.delete_file(fid)
    assert source.exists()  # deleting the stored link never touches the original


def test_import_hardlink(store, source):
    fid = store.import_file("file://" + str(source), hardlink=True)
    path = store.get_local_path(fid)
    assert not os.path.islink(path)
    assert os.stat(path).st_ino == source.stat().st_ino
    other = source.parent / "other"
    other.write_bytes(b"replacement")
    store.update_file(fid, str(other))  # a new inode replaces the link: the original is untouched
    assert read(store, fid) == b"replacement"
    store.delete_file(fid)
    assert source.read_bytes() == b"@r1\nACGT\n+\n!!!!\n"


def test_import_shared_file(store, source):
    assert store.import_file("file://" + str(source), shared_file_name="input.fq") is None
    with store.read_shared_file_stream("input.fq") as handle:
        assert handle.read() == source.read_bytes()
    with pytest.raises(ValueError, match="Not a valid shared file name: 'bad/name'"):
        store.import_file("file://" + str(source), shared_file_name="bad/name")


def test_import_missing_and_directory(store, tmp_path):
    url = "file://" + str(tmp_path / "absent.txt")
    with pytest.raises(FileNotFoundError) as info:
        store.import_file(url)
    assert url in str(info.value)
    with pytest.raises(IsADirectoryError):
        store.import_file("file://" + str(tmp_path))
    assert os.listdir(os.path.join(store.jobStoreDir, "tmp")) == []


def test_import_unknown_scheme(store):
    with pytest.raises(RuntimeError) as info:
        store.import_file("nosuch://bucket/key")
    assert str(info.value).startswith(
        "No job store implementation supports importing for URL 'nosuch://bucket/key'")
    fid = store.get_empty_file_store_id()
    with pytest.raises(RuntimeError) as info:
        store.export_file(fid, "nosuch://bucket/key")
    assert str(info.value).startswith(
        "No job store implementation supports exporting for URL 'nosuch://bucket/key'")


def test_export(store, tmp_path):
    with store.write_file_stream(basename="result.txt") as (handle, fid):
        handle.write(b"result")
    dest = tmp_path / "out" / "sub" / "result.txt"
    store.export_file(fid, "file://" + str(dest))
    assert dest.read_bytes() == b"result"
    dest.write_bytes(b"user edits the export")
    assert read(store, fid) == b"result"
    store.exportFile(fid, str(dest))  # overwrite
    assert dest.read_bytes() == b"result"
    assert sorted(os.listdir(dest.parent)) == ["result.txt"]
    with pytest.raises(NoSuchFileException):
        store.export_file("00/missing", str(tmp_path / "x"))


def test_export_to_http_refused(store):
    fid = store.get_empty_file_store_id()
    with pytest.raises(RuntimeError, match="exporting for URL 'http://localhost/x'"):
        store.export_file(fid, "http://localhost/x")


def test_move_exports(tmp_path):
    js = FileJobStore(str(tmp_path / "store"))
    config = Config()
    config.moveExports = True
    js.initialize(config)
    with js.write_file_stream(basename="big.out") as (handle, fid):
        handle.write(b"large output")
    dest = tmp_path / "outputs" / "big.out"
    js.export_file(fid, "file://" + str(dest))
    assert dest.read_bytes() == b"large output" and not dest.is_symlink()
    stored = js.get_local_path(fid)
    assert os.path.islink(stored) and os.path.realpath(stored) == str(dest)
    assert read(js, fid) == b"large output"
    # Exporting the (now linked) file again copies it.
    js.export_file(fid, str(tmp_path / "outputs" / "copy.out"))
    assert (tmp_path / "outputs" / "copy.out").read_bytes() == b"large output"
    js.destroy()
    assert dest.read_bytes() == b"large output"


# ------------------------------------------------------------------------ http import
@pytest.fixture
def http_root(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "data.csv").write_bytes(b"a,b\n1,2\n")
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_import_http(store, http_root):
    fid = store.import_file(http_root + "/data.csv")
    assert isinstance(fid, FileID)
    assert (fid.size, fid.executable) == (8, False)
    assert fid.endswith("data.csv")
    assert read(store, fid) == b"a,b\n1,2\n"
    assert store.get_size(http_root + "/data.csv") == 8
    assert store.import_file(http_root + "/data.csv", shared_file_name="data") is None
    with store.read_shared_file_stream("data") as handle:
        assert handle.read() == b"a,b\n1,2\n"


def test_import_http_missing(store, http_root):
    with pytest.raises(FileNotFoundError) as info:
        store.import_file(http_root + "/nope.csv")
    assert "/nope.csv" in str(info.value)
    assert os.listdir(os.path.join(store.jobStoreDir, "tmp")) == []
    assert [n for _, _, names in os.walk(os.path.join(store.jobStoreDir, "files")) for n in names] == []
