"""FileJobStore: files, shared files, logs, leader files, FileID and the exception messages."""
from __future__ import annotations

import os
import pickle
import stat
import urllib.request

import pytest
from toil_core.filestores.file_id import FileID
from toil_core.job.description import JobDescription
from toil_core.jobstores import errors
from toil_core.jobstores.abstract import get_node_id
from toil_core.jobstores.errors import NoSuchFileException
from toil_core.jobstores.file_job_store import FileJobStore


def write_local(path, data=b"payload", executable=False):
    with open(path, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o755 if executable else 0o644)
    return str(path)


def is_exec(path):
    return bool(os.stat(path).st_mode & stat.S_IXUSR)


def tmp_leftovers(js):
    return os.listdir(os.path.join(js.jobStoreDir, "tmp"))


# ------------------------------------------------------------------------ write / read
def test_write_file_and_read_back(store, tmp_path):
    src = write_local(tmp_path / "input.dat", b"hello world")
    file_id = store.write_file(src)
    assert isinstance(file_id, str)
    assert file_id.endswith("-input.dat")
    assert store.file_exists(file_id)
    assert store.get_file_size(file_id) == 11
    dest = tmp_path / "out" / "copy.dat"
    dest.parent.mkdir()
    store.read_file(file_id, str(dest))
    assert dest.read_bytes() == b"hello world" and not dest.is_symlink()
    dest.write_bytes(b"modified copy")  # the stored file is independent of the copy
    with store.read_file_stream(file_id) as handle:
        assert handle.read() == b"hello world"
    os.unlink(src)
    assert store.file_exists(file_id)
    assert tmp_leftovers(store) == []


def test_read_file_replaces_existing_destination(store, tmp_path):
    file_id = store.write_file(write_local(tmp_path / "a", b"new"))
    dest = tmp_path / "dest"
    dest.write_bytes(b"old content")
    store.read_file(file_id, str(dest))
    assert dest.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["a", "dest", "store"]


def test_read_file_symlink(store, tmp_path):
    file_id = store.write_file(write_local(tmp_path / "a", b"linked"))
    dest = tmp_path / "link"
    store.read_file(file_id, str(dest), symlink=True)
    assert dest.is_symlink()
    assert os.path.realpath(dest) == os.path.realpath(store.get_local_path(file_id))
    assert dest.read_bytes() == b"linked"


def test_executable_bit_round_trip(store, tmp_path):
    exe_id = store.write_file(write_local(tmp_path / "tool.sh", b"#!/bin/sh\n", executable=True))
    plain_id = store.write_file(write_local(tmp_path / "data.txt", b"d"))
    assert is_exec(store.get_local_path(exe_id)) and not is_exec(store.get_local_path(plain_id))
    store.read_file(exe_id, str(tmp_path / "tool2.sh"))
    store.read_file(plain_id, str(tmp_path / "data2.txt"))
    assert is_exec(tmp_path / "tool2.sh") and not is_exec(tmp_path / "data2.txt")
    # Updating keeps the bit for streams, takes it from the new file for update_file.
    with store.update_file_stream(exe_id) as handle:
        handle.write(b"#!/bin/sh\necho 2\n")
    assert is_exec(store.get_local_path(exe_id))
    store.update_file(exe_id, write_local(tmp_path / "plain", b"now data"))
    assert not is_exec(store.get_local_path(exe_id))


def test_write_file_stream_binary_and_text(store):
    with store.write_file_stream(basename="notes.txt") as (handle, file_id):
        assert not store.file_exists(file_id)  # not visible before the block ends
        handle.write(b"\x00\x01binary")
    assert file_id.endswith("-notes.txt")
    with store.read_file_stream(file_id) as handle:
        assert handle.read() == b"\x00\x01binary"
    with store.write_file_stream(encoding="utf-8") as (handle, text_id):
        handle.write("héllo")
    with store.read_file_stream(text_id, encoding="utf-8") as handle:
        assert handle.read() == "héllo"
    with store.read_file_stream(text_id) as handle:
        assert handle.read() == "héllo".encode("utf-8")
    with store.read_file_stream(text_id, encoding="ascii", errors="replace") as handle:
        assert handle.read() == "h\ufffd\ufffdllo"


def test_write_file_stream_error_leaves_nothing(store):
    with pytest.raises(ZeroDivisionError):
        with store.write_file_stream(basename="half") as (handle, file_id):
            handle.write(b"partial")
            raise ZeroDivisionError("simulated failure")
    assert not store.file_exists(file_id)
    assert store.get_file_size(file_id) == 0
    assert tmp_leftovers(store) == []


def test_write_file_stream_tolerates_explicit_close(store):
    with store.write_file_stream() as (handle, file_id):
        handle.write(b"x")
        handle.close()
    assert store.get_file_size(file_id) == 1


def test_empty_file(store):
    file_id = store.get_empty_file_store_id(basename="empty.bin")
    assert store.file_exists(file_id) and store.get_file_size(file_id) == 0
    assert file_id.endswith("-empty.bin")
    with store.read_file_stream(file_id) as handle:
        assert handle.read() == b""
    job = JobDescription(jobName="j")
    store.assign_job_id(job)
    owned = store.getEmptyFileStoreID(job.jobStoreID, True, "x")
    assert store.fileExists(owned)  # a job need not be created before it owns files


def test_odd_basenames(store):
    for name in ["a/b", "..", ".", "", "x" * 400, "spaced name ünï.txt"]:
        with store.write_file_stream(basename=name) as (handle, file_id):
            handle.write(b"1")
        assert store.file_exists(file_id), name
        assert ".." not in file_id.split("/")
    with store.write_file_stream(basename="spaced name ünï.txt") as (handle, file_id):
        pass
    assert file_id.endswith("spaced name ünï.txt")


def test_delete_file(store, tmp_path):
    file_id = store.write_file(write_local(tmp_path / "f"))
    store.delete_file(file_id)
    assert not store.file_exists(file_id) and store.get_file_size(file_id) == 0
    store.delete_file(file_id)  # idempotent
    store.deleteFile("00/never")
    store.delete_file("job")  # a layout directory, not a file
    assert os.path.isdir(os.path.join(store.jobStoreDir, "files", "job"))


def test_missing_files(store, tmp_path):
    for bad in ["00/nothing-here", "../../shared/config.pickle", "/etc/passwd", "job", ""]:
        assert not store.file_exists(bad)
        assert store.get_file_size(bad) == 0
        with pytest.raises(NoSuchFileException):
            with store.read_file_stream(bad):
                pass
        with pytest.raises(NoSuchFileException):
            store.read_file(bad, str(tmp_path / "x"))
        with pytest.raises(NoSuchFileException):
            store.update_file(bad, write_local(tmp_path / "u"))
        with pytest.raises(NoSuchFileException):
            with store.update_file_stream(bad):
                pass
        with pytest.raises(NoSuchFileException):
            store.get_public_url(bad)
    assert not (tmp_path / "x").exists()


def test_update_file_and_stream(store, tmp_path):
    file_id = store.write_file(write_local(tmp_path / "v1", b"version one"))
    store.update_file(file_id, write_local(tmp_path / "v2", b"version two!"))
    assert store.get_file_size(file_id) == 12
    with store.update_file_stream(file_id, encoding="utf-8") as handle:
        handle.write("three")
    with store.read_file_stream(file_id) as handle:
        assert handle.read() == b"three"
    with pytest.raises(RuntimeError):
        with store.update_file_stream(file_id) as handle:
            handle.write(b"broken")
            raise RuntimeError("boom")
    with store.read_file_stream(file_id) as handle:
        assert handle.read() == b"three"
    assert tmp_leftovers(store) == []


def test_update_stream_of_file_deleted_meanwhile(store):
    file_id = store.get_empty_file_store_id()
    with pytest.raises(NoSuchFileException):
        with store.update_file_stream(file_id) as handle:
            handle.write(b"x")
            store.delete_file(file_id)
    assert not store.file_exists(file_id)
    assert tmp_leftovers(store) == []


def test_public_urls(store, tmp_path):
    file_id = store.write_file(write_local(tmp_path / "pub lic.txt", b"public"))
    url = store.get_public_url(file_id)
    assert url.startswith("file:///") and url.endswith("pub%20lic.txt")
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"public"
    assert store.getPublicUrl(file_id) == url
    with pytest.raises(NoSuchFileException):
        store.get_shared_public_url("absent")
    with store.write_shared_file_stream("shared.txt") as handle:
        handle.write(b"shared")
    shared_url = store.getSharedPublicUrl("shared.txt")
    with urllib.request.urlopen(shared_url) as response:
        assert response.read() == b"shared"


def test_get_local_path(store, tmp_path):
    file_id = store.write_file(write_local(tmp_path / "a", b"abc"))
    path = store.get_local_path(file_id)
    assert path.startswith(store.jobStoreDir) and open(path, "rb").read() == b"abc"
    with pytest.raises(NoSuchFileException):
        store.get_local_path("00/missing")


# ------------------------------------------------------------------------ shared files
def test_shared_files(store):
    with store.write_shared_file_stream("my.file-1_x") as handle:
        handle.write(b"first")
    with store.write_shared_file_stream("my.file-1_x", encrypted=False) as handle:
        handle.write(b"second")
    with store.read_shared_file_stream("my.file-1_x") as handle:
        assert handle.read() == b"second"
    with store.write_shared_file_stream("text", encoding="utf-8") as handle:
        handle.write("ünï")
    with store.read_shared_file_stream("text", encoding="utf-8") as handle:
        assert handle.read() == "ünï"
    with store.writeSharedFileStream("old", isProtected=False) as handle:
        handle.write(b"cc")
    with store.readSharedFileStream("old") as handle:
        assert handle.read() == b"cc"


def test_shared_file_errors(store):
    for bad in ["a/b", "../x", "", "sp ace", "ü"]:
        with pytest.raises(ValueError) as info:
            with store.write_shared_file_stream(bad):
                pass
        assert str(info.value) == f"Not a valid shared file name: '{bad}'"
        with pytest.raises(ValueError):
            with store.read_shared_file_stream(bad):
                pass
    with pytest.raises(NoSuchFileException) as info:
        with store.read_shared_file_stream("missing"):
            pass
    assert str(info.value) == "File 'missing' does not exist."
    with pytest.raises(KeyError):
        with store.write_shared_file_stream("failing") as handle:
            handle.write(b"half")
            raise KeyError("x")
    with pytest.raises(NoSuchFileException):
        with store.read_shared_file_stream("failing"):
            pass


# ------------------------------------------------------------------------ logs
def test_logs_consumed_once(store):
    store.write_logs(b"one")
    store.write_logs("two")
    store.writeStatsAndLogging(b"three")
    seen = []
    assert store.read_logs(lambda handle: seen.append(handle.read())) == 3
    assert seen == [b"one", b"two", b"three"]
    assert store.read_logs(lambda handle: seen.append(handle.read())) == 0
    store.write_logs(b"four")
    again = []
    assert store.read_logs(lambda handle: again.append(handle.read()), read_all=True) == 4
    assert sorted(again) == [b"four", b"one", b"three", b"two"]
    assert store.readStatsAndLogging(lambda handle: None, readAll=False) == 0
    assert store.readStatsAndLogging(lambda handle: None, readAll=True) == 4


def test_logs_callback_failure_keeps_blob(store):
    store.write_logs(b"keep me")

    def fail(handle):
        raise OSError("leader busy")

    with pytest.raises(OSError):
        store.read_logs(fail)
    got = []
    assert store.read_logs(lambda handle: got.append(handle.read())) == 1
    assert got == [b"keep me"]


# ------------------------------------------------------------------------ leader files
def test_leader_pid_node_and_kill_flag(store):
    with pytest.raises(NoSuchFileException):
        store.read_leader_pid()
    store.write_leader_pid()
    assert store.read_leader_pid() == os.getpid()
    store.write_leader_node_id()
    assert store.read_leader_node_id() == get_node_id()
    assert get_node_id() == get_node_id() and "@" in get_node_id()
    assert store.read_kill_flag() is False
    store.write_kill_flag()
    assert store.read_kill_flag() is False
    with store.read_shared_file_stream("_toil_kill_flag") as handle:
        assert handle.read() == b"NO"
    store.write_kill_flag(kill=True)
    assert store.read_kill_flag() is True
    other = FileJobStore(store.locator)
    other.resume()
    assert other.read_kill_flag() is True and other.read_leader_pid() == os.getpid()


# ------------------------------------------------------------------------ camelCase file API
def test_camel_case_file_aliases(store, tmp_path):
    src = write_local(tmp_path / "cc.txt", b"camel")
    file_id = store.writeFile(src)
    assert store.fileExists(file_id) and store.getFileSize(file_id) == 5
    store.readFile(file_id, str(tmp_path / "cc2.txt"))
    assert (tmp_path / "cc2.txt").read_bytes() == b"camel"
    with store.readFileStream(file_id) as handle:
        assert handle.read() == b"camel"
    with store.writeFileStream(None, False, "s.txt") as (handle, stream_id):
        handle.write(b"s")
    store.updateFile(stream_id, src)
    with store.updateFileStream(stream_id) as handle:
        handle.write(b"updated")
    with store.readFileStream(stream_id, "utf-8") as handle:
        assert handle.read() == "updated"
    store.deleteFile(stream_id)
    assert not store.fileExists(stream_id)


# ------------------------------------------------------------------------ FileID
def test_file_id_type():
    fid = FileID("abc/def", 12, True)
    assert fid == "abc/def" and isinstance(fid, str) and hash(fid) == hash("abc/def")
    assert (fid.size, fid.executable) == (12, True)
    assert fid.pack() == "12:1:abc/def"
    back = FileID.unpack(fid.pack())
    assert (back, back.size, back.executable) == ("abc/def", 12, True)
    assert FileID.unpack("3:0:x:y") == "x:y"
    clone = pickle.loads(pickle.dumps(fid))
    assert type(clone) is FileID and (clone.size, clone.executable) == (12, True)
    assert FileID("q", 0).executable is False


def test_file_id_for_path(tmp_path):
    path = write_local(tmp_path / "e", b"12345", executable=True)
    fid = FileID.forPath("id", path)
    assert (fid, fid.size, fid.executable) == ("id", 5, True)


# ------------------------------------------------------------------------ exception messages
def test_exception_messages():
    assert str(errors.NoSuchJobException("j1")) == "The job 'j1' does not exist."
    assert str(errors.NoSuchFileException("f1")) == "File 'f1' does not exist."
    assert str(errors.NoSuchFileException("f1", "name")) == "File 'f1' (name) does not exist."
    assert str(errors.NoSuchFileException("f1", "name", "a", 2)) == (
        "File 'f1' (name) does not exist. Extra info: a 2")
    assert str(errors.ConcurrentFileModificationException("f2")) == "Concurrent update to file f2 detected."
    assert str(errors.InvalidImportExportUrlException("bad://")) == "The URL 'bad://' is invalid."
    assert str(errors.NoSuchJobStoreException("/js")) == (
        "The job store '/js' does not exist, so there is nothing to restart.")
    assert str(errors.JobStoreExistsException("/js")) == (
        "The job store '/js' already exists. Use --restart to resume the workflow, or remove the job "
        "store with 'toil clean /js' to start the workflow from scratch.")
    assert str(errors.UnknownJobStoreError("zz")) == "Unknown job store implementation 'zz'"
    assert str(errors.InvalidJobStoreLocatorError("x:")) == "Invalid job store locator syntax."
    assert isinstance(errors.UnknownJobStoreError("zz"), RuntimeError)
    corrupt = errors.CorruptJobError("j", "/js/jobs/ab/j", ValueError("bad json"), "/js")
    assert "/js/jobs/ab/j" in str(corrupt) and "toil clean /js" in str(corrupt)
    assert "damaged" in str(corrupt)
    for cls in (errors.NoSuchJobException, errors.NoSuchFileException, errors.CorruptJobError,
                errors.JobStoreExistsException, errors.NoSuchJobStoreException):
        assert issubclass(cls, errors.JobStoreError)


def test_logs_callback_errors_propagate(store):
    store.write_logs(b"blob")

    def callback(handle):
        raise FileNotFoundError("raised by the callback itself")

    with pytest.raises(FileNotFoundError, match="callback itself"):
        store.read_logs(callback)
    assert store.read_logs(lambda handle: None) == 1
