"""CachingFileStore: node cache hits, read-only links, concurrency, eviction, shutdown."""
import hashlib
import multiprocessing
import os
import stat

import pytest

from toil_core.common.config import Config
from toil_core.filestores import AbstractFileStore, CachingFileStore, NonCachingFileStore
from toil_core.filestores.abstract import local_workflow_dir
from toil_core.filestores.caching import SENTINEL_MTIME_NS, cache_key
from toil_core.job.description import JobDescription
from toil_core.jobstores.file_job_store import FileJobStore

WORKFLOW_ID = "wf-caching-test"


def workflow_config():
    """The workflow Config these file stores run under."""
    config = Config()
    config.workflowID = WORKFLOW_ID
    return config


class FakeJob:
    jobStoreID = None


@pytest.fixture
def job_store(tmp_path):
    store = FileJobStore(str(tmp_path / "jobstore"))
    store.initialize(workflow_config())
    return store


@pytest.fixture
def node_dir(tmp_path):
    return str(tmp_path / "node")


@pytest.fixture
def reads(job_store, monkeypatch):
    """Count the job store's downloads (file and stream)."""
    calls = []
    real_read, real_stream = job_store.read_file, job_store.read_file_stream

    def read_file(file_id, local_path, symlink=False):
        calls.append(("file", str(file_id)))
        return real_read(file_id, local_path, symlink=symlink)

    def read_file_stream(file_id, encoding=None, errors=None):
        calls.append(("stream", str(file_id)))
        return real_stream(file_id, encoding=encoding, errors=errors)

    monkeypatch.setattr(job_store, "read_file", read_file)
    monkeypatch.setattr(job_store, "read_file_stream", read_file_stream)
    return calls


def new_fs(job_store, node_dir):
    desc = JobDescription(jobName="cached-job")
    job_store.assign_job_id(desc)
    job_store.create_job(desc)
    return CachingFileStore(job_store, desc, node_dir)


def store_file(job_store, tmp_path, data, name="input.txt"):
    """A global file written directly to the job store (so it is not cached yet)."""
    path = tmp_path / name
    path.write_bytes(data)
    return job_store.write_file(str(path))


def read_bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


def test_cache_location_and_free(job_store, node_dir):
    fs = new_fs(job_store, node_dir)
    assert fs.cache_dir == os.path.join(node_dir, f"cache-{WORKFLOW_ID}")
    assert os.path.isdir(fs.cache_dir)
    assert fs.cachingIsFree() is True


def test_second_read_served_from_cache(job_store, node_dir, tmp_path, reads):
    fid = store_file(job_store, tmp_path, b"payload" * 100)
    fs = new_fs(job_store, node_dir)
    with fs.open(FakeJob()):
        first = fs.readGlobalFile(fid)
        assert read_bytes(first) == b"payload" * 100
        assert fs.fileIsCached(fid)
        assert reads == [("file", fid)]
        second = fs.readGlobalFile(fid)
        assert second != first and read_bytes(second) == b"payload" * 100
        assert os.stat(second).st_ino == os.stat(first).st_ino
        assert fs.getFileReaderCount(fid) == 2
    assert fs.getFileReaderCount(fid) == 0  # the job's links went with its temp dir
    fs2 = new_fs(job_store, node_dir)
    with fs2.open(FakeJob()):
        path = fs2.readGlobalFile(fid)
        with fs2.readGlobalFileStream(fid) as handle:
            assert handle.read() == b"payload" * 100
    assert reads == [("file", fid)]  # no further job store read
    assert read_bytes(os.path.join(fs.cache_dir, "files", cache_key(fid))) == b"payload" * 100
    assert not os.path.exists(path)


def test_non_mutable_cached_read_is_read_only(job_store, node_dir, tmp_path):
    fid = store_file(job_store, tmp_path, b"read only")
    fs = new_fs(job_store, node_dir)
    with fs.open(FakeJob()):
        path = fs.readGlobalFile(fid)
        assert stat.S_IMODE(os.stat(path).st_mode) & 0o222 == 0
        mutable = fs.readGlobalFile(fid, mutable=True)
        assert os.stat(mutable).st_mode & stat.S_IWUSR and os.stat(mutable).st_nlink == 1
        with open(mutable, "wb") as handle:
            handle.write(b"scribbled")
        again = fs.readGlobalFile(fid)
        assert read_bytes(again) == b"read only"
    # The job store copy is untouched by the cache's chmod.
    assert os.stat(job_store.get_local_path(fid)).st_mode & stat.S_IWUSR


def test_modified_cache_entry_is_not_served(job_store, node_dir, tmp_path, reads):
    fid = store_file(job_store, tmp_path, b"pristine")
    fs = new_fs(job_store, node_dir)
    with fs.open(FakeJob()):
        path = fs.readGlobalFile(fid)
        # A careless job (or root) writes through its read-only link.
        os.chmod(path, 0o644)
        with open(path, "wb") as handle:
            handle.write(b"corrupted!")
        assert not fs.fileIsCached(fid)
        fresh = fs.readGlobalFile(fid)
        assert read_bytes(fresh) == b"pristine"
    assert len(reads) == 2


def test_write_from_temp_dir_is_cached(job_store, node_dir, reads):
    fs = new_fs(job_store, node_dir)
    with fs.open(FakeJob()):
        local = fs.getLocalTempFile()
        with open(local, "wb") as handle:
            handle.write(b"written here")
        fid = fs.writeGlobalFile(local)
        assert fs.fileIsCached(fid)
        # Reading it back in the same job costs no download, and it is a separate copy
        # while the writer's own file exists.
        same_job = fs.readGlobalFile(fid)
        assert read_bytes(same_job) == b"written here"
    assert fs.fileIsCached(fid)
    entry = os.path.join(fs.cache_dir, "files", cache_key(fid))
    assert stat.S_IMODE(os.stat(entry).st_mode) & 0o222 == 0  # sealed at the end of the job
    fs2 = new_fs(job_store, node_dir)
    with fs2.open(FakeJob()):
        path = fs2.readGlobalFile(fid)
        assert read_bytes(path) == b"written here"
        assert os.stat(path).st_ino == os.stat(entry).st_ino
    assert reads == []


def test_write_outside_temp_dir_not_cached(job_store, node_dir, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"outside")
    fs = new_fs(job_store, node_dir)
    with fs.open(FakeJob()):
        fid = fs.writeGlobalFile(str(outside))
        assert not fs.fileIsCached(fid)
    assert os.stat(outside).st_mode & stat.S_IWUSR


def test_file_modified_after_write_is_dropped(job_store, node_dir, reads):
    fs = new_fs(job_store, node_dir)
    with fs.open(FakeJob()):
        local = fs.getLocalTempFile()
        with open(local, "wb") as handle:
            handle.write(b"version one")
        first = fs.writeGlobalFile(local)
        with open(local, "wb") as handle:  # reuse the same local file
            handle.write(b"version 2!!")
        second = fs.writeGlobalFile(local)
        assert not fs.fileIsCached(first)
        assert read_bytes(fs.readGlobalFile(first)) == b"version one"
    fs2 = new_fs(job_store, node_dir)
    with fs2.open(FakeJob()):
        assert read_bytes(fs2.readGlobalFile(first)) == b"version one"
        assert read_bytes(fs2.readGlobalFile(second)) == b"version 2!!"


def test_cache_false_does_not_cache(job_store, node_dir, tmp_path):
    fid = store_file(job_store, tmp_path, b"not cached")
    fs = new_fs(job_store, node_dir)
    with fs.open(FakeJob()):
        path = fs.readGlobalFile(fid, cache=False)
        assert read_bytes(path) == b"not cached"
        assert not fs.fileIsCached(fid)
        fs.readGlobalFile(fid)
        assert fs.fileIsCached(fid)
        # Once cached, cache=False reads may still use it.
        assert read_bytes(fs.readGlobalFile(fid, cache=False)) == b"not cached"


def test_delete_global_file_drops_cache(job_store, node_dir, tmp_path):
    fid = store_file(job_store, tmp_path, b"bye")
    fs = new_fs(job_store, node_dir)
    with fs.open(FakeJob()):
        fs.readGlobalFile(fid)
        assert fs.fileIsCached(fid)
        fs.deleteGlobalFile(fid)
        assert not fs.fileIsCached(fid)
        assert job_store.file_exists(fid)
    assert os.listdir(os.path.join(fs.cache_dir, "locks")) == [".evict"]  # no per-key leftovers


def _concurrent_reader(store_dir, node_dir, file_id, counter_path, queue):
    store = FileJobStore(store_dir)
    store.resume()
    real_read = store.read_file

    def counting_read(fid, path, symlink=False):
        fd = os.open(counter_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.write(fd, b"x")
        os.close(fd)
        return real_read(fid, path, symlink=symlink)

    store.read_file = counting_read
    fs = CachingFileStore(store, JobDescription(jobName="reader"), node_dir)
    with fs.open(FakeJob()):
        path = fs.readGlobalFile(file_id)
        with open(path, "rb") as handle:
            queue.put(hashlib.sha256(handle.read()).hexdigest())


def test_concurrent_readers_download_once(job_store, node_dir, tmp_path):
    data = os.urandom(8 * 1024 * 1024)
    fid = store_file(job_store, tmp_path, data)
    counter = str(tmp_path / "downloads")
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_concurrent_reader,
                         args=(job_store.jobStoreDir, node_dir, str(fid), counter, queue))
             for _ in range(6)]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    assert results == [hashlib.sha256(data).hexdigest()] * 6
    assert read_bytes(counter) == b"x"  # a single download for the whole node
    cache_files = os.path.join(node_dir, f"cache-{WORKFLOW_ID}", "files")
    assert os.listdir(cache_files) == [cache_key(fid)]
    assert os.listdir(os.path.join(node_dir, f"cache-{WORKFLOW_ID}", "tmp")) == []


def test_eviction_lru(job_store, node_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(CachingFileStore, "cache_limit", 250)
    ids = [store_file(job_store, tmp_path, bytes([i]) * 100, f"f{i}") for i in range(3)]
    fs = new_fs(job_store, node_dir)
    assert fs.getCacheLimit() == 250
    for fid in ids[:2]:
        job = new_fs(job_store, node_dir)
        with job.open(FakeJob()):
            job.readGlobalFile(fid)
    assert fs.getCacheUsed() == 200 and fs.getCacheAvailable() == 50
    # Touch the first file so the second becomes the least recently used.
    job = new_fs(job_store, node_dir)
    with job.open(FakeJob()):
        job.readGlobalFile(ids[0])
    job = new_fs(job_store, node_dir)
    with job.open(FakeJob()):
        assert read_bytes(job.readGlobalFile(ids[2])) == bytes([2]) * 100
    assert fs.fileIsCached(ids[0]) and not fs.fileIsCached(ids[1]) and fs.fileIsCached(ids[2])
    assert fs.getCacheUsed() == 200


def test_files_in_use_are_not_evicted(job_store, node_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(CachingFileStore, "cache_limit", 250)
    ids = [store_file(job_store, tmp_path, bytes([i]) * 100, f"f{i}") for i in range(3)]
    fs = new_fs(job_store, node_dir)
    with fs.open(FakeJob()):
        paths = [fs.readGlobalFile(fid) for fid in ids]
        # The third did not fit while the job holds links to the first two: read uncached.
        assert [read_bytes(p) for p in paths] == [bytes([i]) * 100 for i in range(3)]
        assert fs.fileIsCached(ids[0]) and fs.fileIsCached(ids[1])
        assert not fs.fileIsCached(ids[2])
        assert fs.getCacheUsed() <= 250
    # Too big for the cache at all: served uncached.
    big = store_file(job_store, tmp_path, b"b" * 1000, "big")
    fs2 = new_fs(job_store, node_dir)
    with fs2.open(FakeJob()):
        path = fs2.readGlobalFile(big)
        assert read_bytes(path) == b"b" * 1000
        assert stat.S_IMODE(os.stat(path).st_mode) & 0o222 == 0
        assert not fs2.fileIsCached(big)


def test_adjust_cache_limit_is_shared(job_store, node_dir, tmp_path):
    fs = new_fs(job_store, node_dir)
    fs.adjustCacheLimit(12345)
    other = new_fs(job_store, node_dir)
    assert other.getCacheLimit() == 12345
    assert other.getCacheAvailable() == 12345


def test_dynamic_limit_follows_free_space(job_store, node_dir, tmp_path):
    fs = new_fs(job_store, node_dir)
    vfs = os.statvfs(fs.cache_dir)
    free = vfs.f_bavail * vfs.f_frsize
    assert 0 <= fs.getCacheLimit() <= free
    fs.free_space_margin = free * 2  # no room at all: reads still work, uncached
    fid = store_file(job_store, tmp_path, b"tight")
    with fs.open(FakeJob()):
        assert read_bytes(fs.readGlobalFile(fid)) == b"tight"
        assert not fs.fileIsCached(fid)


def test_stale_reservation_of_dead_worker_is_removed(job_store, node_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(CachingFileStore, "cache_limit", 1000)
    fs = new_fs(job_store, node_dir)
    stale = os.path.join(fs.cache_dir, "tmp", f"{'0' * 40}-900-deadbeef")
    os.mkdir(stale)
    assert fs.getCacheUsed() == 900
    fid = store_file(job_store, tmp_path, b"z" * 200)
    with fs.open(FakeJob()):
        fs.readGlobalFile(fid)
    assert fs.fileIsCached(fid)
    assert not os.path.exists(stale)


def test_entries_carry_the_sentinel(job_store, node_dir, tmp_path):
    fid = store_file(job_store, tmp_path, b"s")
    fs = new_fs(job_store, node_dir)
    with fs.open(FakeJob()):
        fs.readGlobalFile(fid)
    entry = os.path.join(fs.cache_dir, "files", cache_key(fid))
    assert os.stat(entry).st_mtime_ns == SENTINEL_MTIME_NS


def test_shutdown_file_store_removes_cache(job_store, tmp_path):
    work_dir = str(tmp_path / "work")
    node = local_workflow_dir(WORKFLOW_ID, work_dir)
    fid = store_file(job_store, tmp_path, b"c")
    fs = AbstractFileStore.createFileStore(job_store, None, node, caching=True)
    with fs.open(FakeJob()):
        fs.readGlobalFile(fid)
    assert os.path.isdir(fs.cache_dir)
    AbstractFileStore.shutdownFileStore(WORKFLOW_ID, work_dir, None)
    assert not os.path.exists(fs.cache_dir)
    NonCachingFileStore.shutdown(node)  # nothing to do, must not fail
    CachingFileStore.shutdown((None, fs.cache_dir))  # idempotent, upstream tuple form
