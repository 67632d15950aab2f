"""File store API, run against both the caching and the non-caching file store."""
import errno
import logging
import os
import pickle
import stat

import pytest

from toil_core.common.config import Config
from toil_core.filestores import (
    AbstractFileStore,
    CachingFileStore,
    FileID,
    NonCachingFileStore,
)
from toil_core.job.description import JobDescription
from toil_core.jobstores.file_job_store import FileJobStore


def workflow_config(mutable_default=False):
    """The workflow Config these file stores run under."""
    config = Config()
    config.workflowID = "wf-filestore-test"
    config.readGlobalFileMutableByDefault = mutable_default
    config.linkImports = False
    return config


class FakeJob:
    jobStoreID = None


@pytest.fixture
def job_store(tmp_path):
    store = FileJobStore(str(tmp_path / "jobstore"))
    store.initialize(workflow_config())
    return store


def new_job(store):
    desc = JobDescription(jobName="test-job")
    store.assign_job_id(desc)
    store.create_job(desc)
    return desc


@pytest.fixture(params=["noncaching", "caching"])
def make_fs(request, job_store, tmp_path):
    node_dir = tmp_path / "node"

    def make(desc=None):
        desc = desc if desc is not None else new_job(job_store)
        return AbstractFileStore.createFileStore(job_store, desc, str(node_dir),
                                                 caching=request.param == "caching")
    make.caching = request.param == "caching"
    return make


def write_local(path, data=b"hello world\n", mode=None):
    with open(path, "wb") as handle:
        handle.write(data)
    if mode is not None:
        os.chmod(path, mode)
    return str(path)


def read_bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


def test_create_file_store_kinds(job_store, tmp_path):
    desc = new_job(job_store)
    assert isinstance(AbstractFileStore.createFileStore(job_store, desc, str(tmp_path)),
                      NonCachingFileStore)
    assert isinstance(AbstractFileStore.createFileStore(job_store, desc, str(tmp_path), caching=True),
                      CachingFileStore)
    # None asks the job store; the file job store prefers no caching.
    assert isinstance(AbstractFileStore.createFileStore(job_store, desc, str(tmp_path), caching=None),
                      NonCachingFileStore)


def test_round_trip(make_fs, tmp_path):
    fs = make_fs()
    with fs.open(FakeJob()):
        src = write_local(fs.getLocalTempFile(), b"x" * 1000)
        fid = fs.writeGlobalFile(src)
        assert isinstance(fid, FileID) and fid.size == 1000 and not fid.executable
        assert fs.getGlobalFileSize(fid) == 1000
        assert fs.getGlobalFileSize(str(fid)) == 1000
        path = fs.readGlobalFile(fid)
        assert os.path.isabs(path) and path.startswith(fs.localTempDir + os.sep)
        assert read_bytes(path) == b"x" * 1000
    # A different job (new file store) reads it too.
    fs2 = make_fs()
    with fs2.open(FakeJob()):
        assert read_bytes(fs2.readGlobalFile(fid)) == b"x" * 1000
        assert read_bytes(fs2.readGlobalFile(str(fid))) == b"x" * 1000


def test_write_outside_temp_dir_and_user_path(make_fs, tmp_path, monkeypatch):
    outside = write_local(tmp_path / "outside.txt", b"outside")
    fs = make_fs()
    with fs.open(FakeJob()):
        fid = fs.writeGlobalFile(outside)
        monkeypatch.chdir(fs.getLocalTempDir())
        got = fs.readGlobalFile(fid, userPath="relative.txt")
        assert got == os.path.join(os.getcwd(), "relative.txt")
        assert read_bytes(got) == b"outside"
        # An existing file at userPath is replaced.
        again = fs.readGlobalFile(fid, userPath=str(tmp_path / "outside-copy.txt"))
        assert read_bytes(again) == b"outside"
        again2 = fs.readGlobalFile(fid, userPath=str(tmp_path / "outside-copy.txt"))
        assert again2 == again and read_bytes(again2) == b"outside"
        with pytest.raises(IsADirectoryError):
            fs.readGlobalFile(fid, userPath=str(tmp_path))
    assert read_bytes(outside) == b"outside"  # the source is untouched


def test_executable_bit_preserved(make_fs, tmp_path):
    fs = make_fs()
    with fs.open(FakeJob()):
        script = write_local(fs.getLocalTempFile(suffix=".sh"), b"#!/bin/sh\necho hi\n", 0o755)
        plain = write_local(fs.getLocalTempFile(), b"data", 0o644)
        exe_id = fs.writeGlobalFile(script)
        plain_id = fs.writeGlobalFile(plain)
        assert exe_id.executable and not plain_id.executable
        forced = write_local(fs.getLocalTempFile(), b"forced", 0o644)
        forced_id = fs.writeGlobalFile(forced, executable=True)
        assert forced_id.executable
    fs2 = make_fs()
    with fs2.open(FakeJob()):
        for fid, expected in ((exe_id, True), (plain_id, False), (forced_id, True)):
            for mutable in (False, True):
                mode = os.stat(fs2.readGlobalFile(fid, mutable=mutable)).st_mode
                assert bool(mode & stat.S_IXUSR) is expected, (fid, mutable)


def test_mutable_read_is_private_copy(make_fs, job_store):
    fs = make_fs()
    with fs.open(FakeJob()):
        fid = fs.writeGlobalFile(write_local(fs.getLocalTempFile(), b"original"))
    fs2 = make_fs()
    with fs2.open(FakeJob()):
        path = fs2.readGlobalFile(fid, mutable=True)
        assert os.stat(path).st_mode & stat.S_IWUSR
        assert os.stat(path).st_nlink == 1 and not os.path.islink(path)
        with open(path, "ab") as handle:
            handle.write(b" changed")
        assert read_bytes(path) == b"original changed"
        assert read_bytes(fs2.readGlobalFile(fid)) == b"original"
    with job_store.read_file_stream(fid) as handle:
        assert handle.read() == b"original"
    fs3 = make_fs()
    with fs3.open(FakeJob()):
        assert read_bytes(fs3.readGlobalFile(fid)) == b"original"


def test_mutable_by_default_from_config(make_fs, job_store):
    job_store.config.readGlobalFileMutableByDefault = True
    fs = make_fs()
    with fs.open(FakeJob()):
        fid = fs.writeGlobalFile(write_local(fs.getLocalTempFile(), b"abc"))
    fs2 = make_fs()
    with fs2.open(FakeJob()):
        path = fs2.readGlobalFile(fid)
        assert os.stat(path).st_mode & stat.S_IWUSR and os.stat(path).st_nlink == 1


def test_symlink_read(make_fs, tmp_path):
    outside = write_local(tmp_path / "f.txt", b"linked")
    fs = make_fs()
    with fs.open(FakeJob()):
        fid = fs.writeGlobalFile(outside)
        path = fs.readGlobalFile(fid, symlink=True)
        assert read_bytes(path) == b"linked"
        if make_fs.caching:  # hard links into the cache instead of symlinks
            assert not os.path.islink(path) and os.stat(path).st_nlink >= 2
        else:
            assert os.path.islink(path)
        # symlink is ignored for mutable reads
        mutable = fs.readGlobalFile(fid, symlink=True, mutable=True)
        assert not os.path.islink(mutable) and read_bytes(mutable) == b"linked"


@pytest.mark.parametrize("encoding", [None, "utf-8", "latin-1"])
def test_streams(make_fs, encoding):
    text = "héllo wörld\nline two\n"
    fs = make_fs()
    with fs.open(FakeJob()):
        with fs.writeGlobalFileStream(encoding=encoding, basename="out.txt") as (handle, fid):
            handle.write(text if encoding else text.encode("utf-8"))
            assert isinstance(fid, FileID)
        expected = text.encode(encoding or "utf-8")
        assert fid.size == len(expected)
        with fs.readGlobalFileStream(fid, encoding=encoding) as handle:
            assert handle.read() == (text if encoding else expected)
        assert read_bytes(fs.readGlobalFile(fid)) == expected
    fs2 = make_fs()
    with fs2.open(FakeJob()):
        fs2.readGlobalFile(fid)  # now cached for the caching store
        with fs2.readGlobalFileStream(fid, encoding=encoding) as handle:
            assert handle.read() == (text if encoding else expected)
        with fs2.readGlobalFileStream(fid, encoding="ascii", errors="replace") as handle:
            assert "\ufffd" in handle.read()


def test_cleanup_files_vanish_with_job(make_fs, job_store):
    desc = new_job(job_store)
    fs = make_fs(desc)
    with fs.open(FakeJob()):
        kept = fs.writeGlobalFile(write_local(fs.getLocalTempFile(), b"kept"))
        temp = fs.writeGlobalFile(write_local(fs.getLocalTempFile(), b"temp"), cleanup=True)
        with fs.writeGlobalFileStream(cleanup=True) as (handle, streamed):
            handle.write(b"streamed")
    assert job_store.file_exists(temp) and job_store.file_exists(streamed)
    job_store.delete_job(desc.jobStoreID)
    assert not job_store.file_exists(temp)
    assert not job_store.file_exists(streamed)
    assert job_store.file_exists(kept)


def test_delete_global_file_only_records(make_fs, job_store):
    fs = make_fs()
    with fs.open(FakeJob()):
        local = write_local(fs.getLocalTempFile(), b"doomed")
        fid = fs.writeGlobalFile(local)
        copy = fs.readGlobalFile(fid)
        fs.deleteGlobalFile(fid)
        assert not os.path.exists(local) and not os.path.exists(copy)
        assert fid in fs.filesToDelete
        assert job_store.file_exists(fid)  # the worker deletes it after the job succeeds
        if make_fs.caching:
            assert not fs.fileIsCached(fid)
        # Deleting again (no local copies left) is fine.
        fs.deleteGlobalFile(fid)
        assert fs.filesToDelete == {str(fid)}


def test_delete_local_file(make_fs, tmp_path):
    fs = make_fs()
    with fs.open(FakeJob()):
        local = write_local(fs.getLocalTempFile(), b"local")
        fid = fs.writeGlobalFile(local)
        one = fs.readGlobalFile(fid)
        two = fs.readGlobalFile(fid, mutable=True)
        assert len({local, one, two}) == 3
        fs.deleteLocalFile(fid)
        assert not any(os.path.exists(p) for p in (local, one, two))
        with pytest.raises(OSError) as info:
            fs.deleteLocalFile(fid)
        assert info.value.errno == errno.ENOENT
        with pytest.raises(OSError) as info:
            fs.deleteLocalFile("never-read")
        assert info.value.errno == errno.ENOENT
        # Files written from outside the temp dir are not local copies.
        outside_id = fs.writeGlobalFile(write_local(tmp_path / "o", b"o"))
        with pytest.raises(OSError):
            fs.deleteLocalFile(outside_id)
        assert os.path.exists(tmp_path / "o")
        # The file is still readable afterwards.
        assert read_bytes(fs.readGlobalFile(fid)) == b"local"


def test_temp_dir_lifecycle(make_fs):
    fs = make_fs()
    with pytest.raises(RuntimeError):
        fs.getLocalTempFile()
    with fs.open(FakeJob()):
        root = fs.localTempDir
        assert os.path.isdir(root) and root.startswith(fs.file_store_dir + os.sep)
        d1, d2 = fs.getLocalTempDir(), fs.getLocalTempDir()
        assert d1 != d2 and os.path.isdir(d1) and os.path.dirname(d1) == root
        f = fs.getLocalTempFile()
        assert os.path.isfile(f) and os.path.basename(f).startswith("tmp") and f.endswith(".tmp")
        g = fs.getLocalTempFile(suffix=".bam", prefix="reads")
        assert os.path.basename(g).startswith("reads") and g.endswith(".bam") and os.path.isfile(g)
        n = fs.getLocalTempFileName()
        assert not os.path.exists(n) and os.path.dirname(n) == root
        assert os.path.basename(n).startswith("tmp") and n.endswith(".tmp")
        m = fs.getLocalTempFileName(suffix=".x", prefix="p")
        assert os.path.basename(m).startswith("p") and m.endswith(".x")
        # Read-only subdirectories must not stop the cleanup.
        locked = os.path.join(d1, "locked")
        os.mkdir(locked)
        write_local(os.path.join(locked, "f"), b"1")
        os.chmod(locked, 0o500)
    assert not os.path.exists(root)


def test_temp_dir_removed_on_exception(make_fs):
    fs = make_fs()
    with pytest.raises(ValueError):
        with fs.open(FakeJob()):
            root = fs.localTempDir
            write_local(os.path.join(fs.getLocalTempDir(), "x"), b"x")
            raise ValueError("job failed")
    assert not os.path.exists(root)


def test_keep_temp_dirs(make_fs):
    fs = make_fs()
    fs.keep_temp_dirs = True
    with fs.open(FakeJob()):
        root = fs.localTempDir
    assert os.path.isdir(root)


def test_each_open_gets_a_fresh_temp_dir(make_fs):
    fs1, fs2 = make_fs(), make_fs()
    with fs1.open(FakeJob()), fs2.open(FakeJob()):
        assert fs1.localTempDir != fs2.localTempDir


def test_log_to_master_and_access_log(make_fs, caplog):
    fs = make_fs()
    with caplog.at_level(logging.DEBUG):
        fs.logToMaster("hello leader")
        fs.logToMaster("careful", level=logging.WARNING)
    assert fs.logged_messages == [{"text": "hello leader", "level": logging.INFO},
                                  {"text": "careful", "level": logging.WARNING}]
    assert "LOG-TO-MASTER: hello leader" in caplog.text
    assert fs.access_log_lines() == []
    with fs.open(FakeJob()):
        local = write_local(fs.getLocalTempFile(), b"a")
        fid = fs.writeGlobalFile(local)
        path = fs.readGlobalFile(fid)
        with fs.readGlobalFileStream(fid) as handle:
            handle.read()
    assert fs.access_log_lines() == [
        "Failed job accessed files:",
        f"Downloaded file '{fid}' to path '{path}'",
        f"Streamed file '{fid}'",
        f"Wrote file '{fid}' from path '{os.path.abspath(local)}'",
    ]


def test_import_export(make_fs, tmp_path):
    src = write_local(tmp_path / "in.sh", b"#!/bin/sh\n", 0o755)
    fs = make_fs()
    with fs.open(FakeJob()):
        fid = fs.importFile("file://" + src)
        assert fid.size == len(b"#!/bin/sh\n") and fid.executable
        fid2 = fs.import_file(src)
        assert read_bytes(fs.readGlobalFile(fid2)) == b"#!/bin/sh\n"
        assert fs.import_file("file://" + src, shared_file_name="shared.sh") is None
        fs.exportFile(fid, "file://" + str(tmp_path / "out.sh"))
        fs.export_file(fid2, str(tmp_path / "out2.sh"))
    assert read_bytes(tmp_path / "out.sh") == b"#!/bin/sh\n"
    assert os.stat(tmp_path / "out.sh").st_mode & stat.S_IXUSR
    assert read_bytes(tmp_path / "out2.sh") == b"#!/bin/sh\n"


def test_commit_hooks(job_store, tmp_path):
    calls = []
    fs = NonCachingFileStore(job_store, new_job(job_store), str(tmp_path),
                             waitForPreviousCommit=lambda: calls.append(1))
    assert fs.jobStore is job_store and fs.jobDesc.jobName == "test-job"
    fs.startCommit(jobState=True)
    assert calls == [1]
    assert fs.waitForCommit() is True


def test_file_id():
    fid = FileID("files/abc/x.txt", 42, executable=True)
    assert fid == "files/abc/x.txt" and isinstance(fid, str)
    assert fid.pack() == "42:1:files/abc/x.txt"
    again = FileID.unpack(fid.pack())
    assert again == fid and again.size == 42 and again.executable
    assert FileID.unpack("0:0:a:b").size == 0 and FileID.unpack("0:0:a:b") == "a:b"
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        loaded = pickle.loads(pickle.dumps(fid, protocol=protocol))
        assert type(loaded) is FileID and loaded == fid
        assert loaded.size == 42 and loaded.executable
    assert {fid: 1}["files/abc/x.txt"] == 1
