"""CachingFileStore: a per-node cache of global files shared by every worker of a workflow.

Design (filesystem only: no database, so there is no index that can disagree with the disk)::

    <file_store_dir>/cache-<workflowID>/
        files/<key>                 one cached file per global file; key = sha256(file ID)[:40]
        tmp/<key>-<size>-<nonce>/   a space reservation; a download lands in it, then is renamed
        locks/<key>                 flock: shared to link a cached file, exclusive to fill/drop it
        locks/.evict                flock: serializes space accounting and eviction
        limit                       optional shared cache limit written by adjustCacheLimit()

* A cached file is its own inode: downloads that come back hard-linked to the job store are
  copied first, so making the entry read-only (0444, or 0555 if executable) never touches the
  job store. Jobs get hard links to it, so a cached file costs its size once per node.
* An entry is *valid* only while its mtime is the sentinel 2000-01-01T00:00:00Z, which the cache
  sets on insertion. Any write to the inode (by a careless job that writes to a link it was
  given) moves the mtime, and the entry is then ignored and replaced: the cache never serves
  modified data.
* Link count tells who uses an entry: ``st_nlink == 1`` means only the cache holds it, so it can
  be evicted. Eviction is least recently used first (access time, refreshed on every hit).
* Concurrency: all state changes are renames/links/unlinks of whole files, done under a per-key
  ``flock``; flocks vanish with their process, so a killed worker never leaves a lock behind and
  its half-done reservation is detected (key lock free) and removed. Lock files are removed only
  by a holder of the exclusive lock, and a locker re-checks that the path still names the inode
  it locked. Lock order is key lock -> evict lock; the evictor only *tries* key locks.
* Writes of files inside the job's temp dir are hard-linked into the cache (when the local file
  has no other links); at the end of the job the entry is made read-only, or dropped if the job
  modified the file after writing it.
* The limit is ``cache_limit`` (bytes) if set, else dynamic: the cache may grow while the
  filesystem keeps ``free_space_margin`` bytes free. A file that cannot fit is read without
  being cached. Under concurrency the limit is enforced through reservations.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
import stat
import time
import uuid
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, Iterator, List, Optional, Tuple, Union

from .abstract import AbstractFileStore, cache_dir_name, remove_tree
from .errors import (  # noqa: F401
    CacheError,
    CacheUnbalancedError,
    IllegalDeletionCacheError,
    InvalidSourceCacheError,  # re-exported here, as upstream
)
from .file_id import FileID

if TYPE_CHECKING:
    from toil_core.job.description import JobDescription
    from toil_core.jobstores.abstract import AbstractJobStore

logger = logging.getLogger(__name__)

#: mtime of an intact cache entry (2000-01-01T00:00:00Z, exact on every filesystem).
SENTINEL_MTIME_NS = 946684800 * 10**9
EVICT_LOCK = ".evict"
_WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def cache_key(file_id: Union[FileID, str]) -> str:
    return hashlib.sha256(str(file_id).encode("utf-8")).hexdigest()[:40]


class _FileLock:
    """An flock on a lock file that may be unlinked by whoever holds it exclusively."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd: Optional[int] = None

    def acquire(self, shared: bool = False, blocking: bool = True) -> bool:
        op = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if blocking else fcntl.LOCK_NB)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, op)
            except BlockingIOError:
                os.close(fd)
                return False
            except BaseException:
                os.close(fd)
                raise
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                return True
            os.close(fd)  # the lock file was removed while we waited: lock the new one

    def release(self, remove: bool = False) -> None:
        if self.fd is not None:
            if remove:
                with suppress(FileNotFoundError):
                    os.unlink(self.path)
            os.close(self.fd)
            self.fd = None


def _copy(src: str, dest: str, writable: bool) -> None:
    """Copy file data, keeping the executable bits; writable for the owner or read-only."""
    shutil.copyfile(src, dest)
    mode = stat.S_IMODE(os.stat(src).st_mode) | stat.S_IRUSR
    os.chmod(dest, (mode | stat.S_IWUSR) if writable else (mode & ~_WRITE_BITS))


class CachingFileStore(AbstractFileStore, caching=True):
    """A file store that shares downloaded and written files between the jobs of a node."""

    #: Cache limit in bytes; None means "as much as the filesystem allows, minus the margin".
    cache_limit: Optional[int] = None
    #: Bytes to keep free on the cache filesystem when the limit is dynamic (None: 10% of the
    #: filesystem, at most 512 MiB).
    free_space_margin: Optional[int] = None

    def __init__(self, jobStore: AbstractJobStore, jobDesc: JobDescription, file_store_dir: str,
                 waitForPreviousCommit: Any = None) -> None:
        super().__init__(jobStore, jobDesc, file_store_dir, waitForPreviousCommit)
        config = jobStore.config
        workflow_id = config.workflowID if config is not None else None
        self.cache_dir = os.path.join(self.file_store_dir, cache_dir_name(workflow_id or "default"))
        self._files = os.path.join(self.cache_dir, "files")
        self._tmp = os.path.join(self.cache_dir, "tmp")
        self._locks = os.path.join(self.cache_dir, "locks")
        os.makedirs(self.file_store_dir, exist_ok=True)
        try:  # private: it holds the plaintext of files read from an encrypted job store
            os.mkdir(self.cache_dir, 0o700)
        except FileExistsError:
            pass
        for directory in (self._files, self._tmp, self._locks):
            os.makedirs(directory, exist_ok=True)
        #: (key, inode) of entries this job took into the cache from its temp dir.
        self._written: List[Tuple[str, int]] = []
        self._linked_bytes = 0

    # ------------------------------------------------------------------ locking helpers
    def _entry(self, key: str) -> str:
        return os.path.join(self._files, key)

    @contextmanager
    def _locked(self, key: str, shared: bool = False) -> Iterator[None]:
        lock = _FileLock(os.path.join(self._locks, key))
        lock.acquire(shared=shared)
        try:
            yield
        finally:
            # Exclusive holders tidy up the lock file of a key that is not cached.
            lock.release(remove=not shared and not os.path.lexists(self._entry(key)))

    def _try_lock(self, key: str) -> Optional[_FileLock]:
        lock = _FileLock(os.path.join(self._locks, key))
        return lock if lock.acquire(blocking=False) else None

    def _release(self, lock: _FileLock, key: str) -> None:
        lock.release(remove=not os.path.lexists(self._entry(key)))

    @staticmethod
    def _valid_stat(path: str) -> Optional[os.stat_result]:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return None
        return st if stat.S_ISREG(st.st_mode) and st.st_mtime_ns == SENTINEL_MTIME_NS else None

    @staticmethod
    def _touch(path: str) -> None:
        with suppress(OSError):  # refresh the access time for LRU, keep the sentinel mtime
            os.utime(path, ns=(time.time_ns(), SENTINEL_MTIME_NS))

    # ------------------------------------------------------------------ space accounting
    def _explicit_limit(self) -> Optional[int]:
        if self.cache_limit is not None:
            return int(self.cache_limit)
        try:
            with open(os.path.join(self.cache_dir, "limit")) as handle:
                return int(handle.read().strip())
        except (OSError, ValueError):
            return None

    def _free_bytes(self) -> int:
        vfs = os.statvfs(self.cache_dir)
        return vfs.f_bavail * vfs.f_frsize

    def _margin(self) -> int:
        if self.free_space_margin is not None:
            return int(self.free_space_margin)
        vfs = os.statvfs(self.cache_dir)
        return min(512 * 1024 * 1024, vfs.f_blocks * vfs.f_frsize // 10)

    def _used_files(self) -> int:
        total = 0
        for name in os.listdir(self._files):
            with suppress(FileNotFoundError):
                total += os.stat(os.path.join(self._files, name)).st_size
        return total

    def _pending(self, clean_stale: bool = False) -> int:
        """Bytes reserved by downloads in progress; optionally remove those of dead workers."""
        total = 0
        for name in os.listdir(self._tmp):
            try:
                key, size_text, _ = name.split("-", 2)
                size = int(size_text)
            except ValueError:
                continue
            if clean_stale:
                lock = self._try_lock(key)
                if lock is not None:  # nobody is filling this key: left over by a dead worker
                    try:
                        remove_tree(os.path.join(self._tmp, name))
                    finally:
                        self._release(lock, key)
                    continue
            total += size
        return total

    def _shortfall(self, size: int) -> int:
        """Bytes to evict before ``size`` more bytes fit (<= 0: they fit already)."""
        pending = self._pending(clean_stale=True)
        limit = self._explicit_limit()
        if limit is not None:
            return self._used_files() + pending + size - limit
        return size + pending - (self._free_bytes() - self._margin())

    def _evict(self, needed: int, keep: str) -> int:
        """Evict unused entries, least recently used first, until ``needed`` bytes are freed."""
        candidates = []
        for name in os.listdir(self._files):
            try:
                st = os.stat(os.path.join(self._files, name))
            except FileNotFoundError:
                continue
            valid = st.st_mtime_ns == SENTINEL_MTIME_NS
            if name != keep and (st.st_nlink == 1 or not valid):
                candidates.append((valid, st.st_atime_ns, name))
        candidates.sort()
        freed = 0
        for _, _, name in candidates:
            if freed >= needed:
                break
            lock = self._try_lock(name)
            if lock is None:
                continue
            try:
                path = self._entry(name)
                st = os.stat(path)
                if st.st_nlink > 1 and st.st_mtime_ns == SENTINEL_MTIME_NS:
                    continue  # somebody linked it meanwhile
                os.unlink(path)
                if st.st_nlink == 1:
                    freed += st.st_size
                    logger.debug("Evicted %s (%d bytes) from the cache", name, st.st_size)
            except FileNotFoundError:
                pass
            finally:
                self._release(lock, name)
        return freed

    def _reserve(self, key: str, size: int) -> Optional[str]:
        """Make room for ``size`` bytes and return a reservation dir, or None if impossible."""
        limit = self._explicit_limit()
        if limit is not None and size > limit:
            return None
        evict_lock = _FileLock(os.path.join(self._locks, EVICT_LOCK))
        evict_lock.acquire()
        try:
            shortfall = self._shortfall(size)
            if shortfall > 0 and self._evict(shortfall, keep=key) < shortfall:
                if self._shortfall(size) > 0:
                    return None
            reservation = os.path.join(self._tmp, f"{key}-{size}-{uuid.uuid4().hex}")
            os.mkdir(reservation)
            return reservation
        finally:
            evict_lock.release()

    # ------------------------------------------------------------------ cache queries
    def getCacheLimit(self) -> int:
        limit = self._explicit_limit()
        if limit is not None:
            return limit
        return max(0, self._used_files() + self._free_bytes() - self._margin())

    def getCacheUsed(self) -> int:
        return self._used_files() + self._pending()

    def getCacheAvailable(self) -> int:
        return self.getCacheLimit() - self.getCacheUsed()

    def getCacheExtraJobSpace(self) -> int:  # job disk is not debited for the cache here
        return 0

    def getSpaceUsableForJobs(self) -> int:
        return self._free_bytes()

    def getCacheUnusedJobRequirement(self) -> int:
        disk = int(getattr(self.jobDesc, "disk", 0) or 0)
        return max(0, disk - self._linked_bytes)

    def adjustCacheLimit(self, newTotalBytes: int) -> None:
        """Set the cache limit for every worker of this workflow on the node."""
        self.cache_limit = int(newTotalBytes)
        tmp = os.path.join(self.cache_dir, f"limit.{uuid.uuid4().hex}")
        with open(tmp, "w") as handle:
            handle.write(str(int(newTotalBytes)))
        os.replace(tmp, os.path.join(self.cache_dir, "limit"))

    def fileIsCached(self, fileID: Union[FileID, str]) -> bool:
        return self._valid_stat(self._entry(cache_key(fileID))) is not None

    def getFileReaderCount(self, fileID: Union[FileID, str]) -> int:
        st = self._valid_stat(self._entry(cache_key(fileID)))
        return 0 if st is None else st.st_nlink - 1

    def cachingIsFree(self) -> bool:
        """True for job stores whose files are local (the file job store)."""
        return callable(getattr(self.jobStore, "get_local_path", None))

    # ------------------------------------------------------------------ job lifetime
    @contextmanager
    def open(self, job: Any) -> Iterator[None]:
        try:
            with super().open(job):
                yield
        finally:
            self._finalize_written()

    def _finalize_written(self) -> None:
        """Seal entries written by this job: read-only if intact, dropped if modified."""
        for key, inode in self._written:
            with self._locked(key):
                path = self._entry(key)
                try:
                    st = os.stat(path)
                except FileNotFoundError:
                    continue
                if st.st_ino != inode:
                    continue
                if st.st_mtime_ns != SENTINEL_MTIME_NS:
                    os.unlink(path)
                elif st.st_mode & _WRITE_BITS:
                    os.chmod(path, stat.S_IMODE(st.st_mode) & ~_WRITE_BITS)
        self._written = []

    # ------------------------------------------------------------------ reading
    def _give(self, entry: str, st: os.stat_result, dest: str, mutable: bool) -> None:
        """Put a cached file at ``dest``: a hard link, or a copy if mutable or not linkable."""
        if mutable:
            _copy(entry, dest, writable=True)
            return
        if st.st_mode & _WRITE_BITS:
            if st.st_nlink > 1:  # still linked from its writer's temp dir: don't share it
                _copy(entry, dest, writable=False)
                return
            os.chmod(entry, stat.S_IMODE(st.st_mode) & ~_WRITE_BITS)
        try:
            os.link(entry, dest)
            self._linked_bytes += st.st_size
        except OSError:  # another filesystem, link limit, ...
            _copy(entry, dest, writable=False)

    def _hit(self, key: str, dest: str, mutable: bool) -> bool:
        entry = self._entry(key)
        if not os.path.exists(entry):
            return False
        with self._locked(key, shared=True):
            st = self._valid_stat(entry)
            if st is None:
                return False
            self._give(entry, st, dest, mutable)
            self._touch(entry)
            return True

    def _download(self, fileStoreID: str, path: str, mutable: bool) -> None:
        """Download straight from the job store into a private file at ``path``."""
        self.jobStore.read_file(fileStoreID, path, symlink=False)
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
            shadow = f"{path}.{uuid.uuid4().hex}"
            _copy(path, shadow, writable=True)
            os.replace(shadow, path)
        mode = stat.S_IMODE(os.stat(path).st_mode) | stat.S_IRUSR
        os.chmod(path, (mode | stat.S_IWUSR) if mutable else (mode & ~_WRITE_BITS))

    def _fill(self, fileStoreID: Union[FileID, str], key: str, dest: str, mutable: bool) -> None:
        """Download into the cache (once per node), then give the job its copy."""
        with self._locked(key):
            entry = self._entry(key)
            st = self._valid_stat(entry)
            if st is None:
                if os.path.lexists(entry):
                    os.unlink(entry)  # modified or half-sealed: replace it
                reservation = self._reserve(key, self.getGlobalFileSize(fileStoreID))
                if reservation is None:
                    logger.debug("No room in the cache for %s; reading it uncached", fileStoreID)
                    self._download(str(fileStoreID), dest, mutable)
                    return
                try:
                    staged = os.path.join(reservation, "data")
                    self._download(str(fileStoreID), staged, mutable=False)
                    os.utime(staged, ns=(time.time_ns(), SENTINEL_MTIME_NS))
                    os.rename(staged, entry)
                finally:
                    remove_tree(reservation)
                st = os.stat(entry)
            self._give(entry, st, dest, mutable)
            self._touch(entry)

    def readGlobalFile(self, fileStoreID: Union[FileID, str], userPath: Optional[str] = None,
                       cache: bool = True, mutable: bool = False, symlink: bool = False) -> str:
        """Read through the node cache; ``cache=False`` does not add the file to it.

        Non-mutable results are read-only hard links to the cached copy (or read-only copies
        where a link is impossible); ``symlink`` is accepted but hard links are used instead,
        since a symlink would dangle once the entry is evicted.
        """
        mutable = self._mutable(mutable)
        dest = self._read_destination(fileStoreID, userPath)
        key = cache_key(fileStoreID)
        if not self._hit(key, dest, mutable):
            if cache:
                self._fill(fileStoreID, key, dest, mutable)
            else:
                self._download(str(fileStoreID), dest, mutable)
        self._record_local(fileStoreID, dest)
        self.logAccess(fileStoreID, dest)
        return dest

    @contextmanager
    def readGlobalFileStream(self, fileStoreID: Union[FileID, str], encoding: Optional[str] = None,
                             errors: Optional[str] = None) -> Iterator[Any]:
        """Stream from the cached copy if there is one, else from the job store (uncached)."""
        self.logAccess(fileStoreID)
        key = cache_key(fileStoreID)
        entry = self._entry(key)
        handle = None
        if os.path.exists(entry):
            with self._locked(key, shared=True):
                if self._valid_stat(entry) is not None:
                    handle = open(entry, "rb") if encoding is None else \
                        open(entry, "r", encoding=encoding, errors=errors)
                    self._touch(entry)
        if handle is None:
            with self.jobStore.read_file_stream(str(fileStoreID), encoding=encoding,
                                                errors=errors) as stream:
                yield stream
        else:
            with handle:
                yield handle

    # ------------------------------------------------------------------ writing and deleting
    def writeGlobalFile(self, localFileName: str, cleanup: bool = False,
                        executable: bool = False) -> FileID:
        file_id, path = self._upload(localFileName, cleanup, executable)
        if self._in_temp_dir(path):
            self._record_local(file_id, path)
            try:
                self._cache_written(file_id, path)
            except OSError as err:
                logger.debug("Not caching written file %s: %s", path, err)
        return file_id

    def _cache_written(self, file_id: FileID, path: str) -> None:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
            return  # a link to something else (e.g. a cached read): never alias entries
        key = cache_key(file_id)
        with self._locked(key):
            entry = self._entry(key)
            if self._valid_stat(entry) is not None:
                return
            if os.path.lexists(entry):
                os.unlink(entry)
            reservation = self._reserve(key, st.st_size)
            if reservation is None:
                return
            try:
                staged = os.path.join(reservation, "data")
                os.link(path, staged)
                os.utime(staged, ns=(time.time_ns(), SENTINEL_MTIME_NS))
                os.rename(staged, entry)
                self._written.append((key, st.st_ino))
            finally:
                remove_tree(reservation)

    def deleteGlobalFile(self, fileStoreID: Union[FileID, str]) -> None:
        """Drop local and cached copies; the worker deletes the global file after success."""
        super().deleteGlobalFile(fileStoreID)
        key = cache_key(fileStoreID)
        with self._locked(key):
            if os.path.lexists(self._entry(key)):
                os.unlink(self._entry(key))

    # ------------------------------------------------------------------ node shutdown
    @classmethod
    def shutdown(cls, shutdown_info: Any) -> None:
        """Remove the node's cache; ``shutdown_info`` is the cache dir (or a tuple ending in it)."""
        if isinstance(shutdown_info, (tuple, list)):
            shutdown_info = shutdown_info[-1]
        if shutdown_info:
            remove_tree(str(shutdown_info))
