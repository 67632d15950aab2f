"""The write path under FileJobStore: directories made on demand, temporary files published with
one rename, and "no space left" turned into :class:`JobStoreFullError`.

A process may also keep spare files (:meth:`FileLayoutMixin.keep_spare_files`): the inodes of
the job descriptions it replaced or deleted, reused for its next writes. On ext4 without a
journal (this project's test machine) allocating an inode skips every inode of its group freed
in the last seconds to minutes, one by one, so a workflow that creates and deletes thousands of
small files pays more for each new one; a reused inode costs none of that.

Everything FileJobStore stores goes through :meth:`FileLayoutMixin._write_bytes` or
:meth:`FileLayoutMixin._atomic_stream` (or, for stored files, a temporary file from
:meth:`FileLayoutMixin._new_tmp` renamed into place): a process killed at any instant leaves the old
or the new content, never a partial one.
"""
from __future__ import annotations

import errno
import os
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, Callable, FrozenSet, Iterator, List, Literal, Optional, Tuple, Union

from ._exchange import exchange_paths
from ._file_transfer import NEW_FILE as _NEW_FILE
from .errors import JobStoreFullError, NoSuchJobStoreException

__all__ = ["FileLayoutMixin"]

#: errno values that mean "the file system is full" (EDQUOT: over quota).
_NO_SPACE = frozenset(e for e in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if e is not None)
#: At most this many spare files per process (see :meth:`FileLayoutMixin.keep_spare_files`).
MAX_SPARES = 32
#: At most this many deleted descriptions one process puts into the pool of spares
#: (:meth:`FileLayoutMixin.share_deleted_files`).
MAX_POOLED = 4096
#: The names of the pool's spares in ``tmp/``.
SPARE_PREFIX = "spare-"
_REUSE_FLAGS = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)


class FileLayoutMixin:
    """Low-level helpers of FileJobStore (set up by its ``__init__``)."""

    locator: str
    _tmp: str
    _base_dirs: FrozenSet[str]
    _fix_dir_mode: bool
    _cipher: Any
    #: Spare files in ``tmp/`` this process may overwrite (see :meth:`keep_spare_files`), and
    #: the process they belong to (a forked child starts without any).
    _spares: Optional[List[str]] = None
    _spares_pid = 0
    #: Pool names listed and not tried yet, and the writes since the pool was last listed.
    _pool_names: List[str] = []
    _pool_listed = -1
    #: The process that puts the descriptions it deletes into the pool, and how many so far.
    _share_pid = 0
    _pooled = 0

    if TYPE_CHECKING:  # provided by SealedIOMixin, part of the same class
        def _seal_bytes(self, data: bytes, dest: str) -> bytes: ...

        def _sealed_writer(self, raw: IO[bytes], dest: str, encoding: Optional[str],
                           errors: Optional[str]) -> IO[Any]: ...

    def keep_spare_files(self, keep: bool) -> None:
        """From now on (``keep``), let this process keep the files of job descriptions it
        replaces or deletes in ``tmp/`` (at most :data:`MAX_SPARES`) and overwrite them for its
        next small writes, instead of freeing inodes and allocating new ones; when it has none
        of its own it claims one from the store's pool (see :meth:`share_deleted_files`). With
        ``keep`` False, put the spares it has left into the pool and stop.

        For a process that runs many jobs one after the other (a forked worker running a batch):
        what one job's commit deletes, the next one's writes reuse. A spare is never visible
        under a job's or a file's name, and is published, like any temporary file, only once
        completely written. Only descriptions become spares, never a stored file something else
        may link to. Spares a process leaves behind (the pool at the end of a run, or those of a
        killed process) are temporary files: :meth:`discard_spare_files`, ``--restart`` and
        ``destroy`` remove them.
        """
        spares = self._spares if self._spares_pid == os.getpid() else None
        if not keep:
            for path in spares or ():
                self._to_pool(path)
            self._spares = None
            return
        self._spares = spares if spares is not None else []
        self._spares_pid = os.getpid()
        self._pool_names = []
        self._pool_listed = -1

    def share_deleted_files(self, share: bool = True) -> None:
        """Put the files of the descriptions this process deletes into the store's pool of
        spares (``tmp/spare-*``), for the processes that keep spares (:meth:`keep_spare_files`)
        to claim, rather than freeing their inodes: for the leader, which deletes the
        descriptions of finished jobs with successors and writes little itself. At most
        :data:`MAX_POOLED` per process."""
        self._share_pid = os.getpid() if share else 0
        self._pooled = 0

    def discard_spare_files(self) -> int:
        """Delete the store's pool of spares (at the end of a run: nothing claims them any
        more); returns how many. A process claiming one at the same moment simply misses it."""
        count = 0
        for name in self._listdir(self._tmp):
            if name.startswith(SPARE_PREFIX):
                self._discard(self._tmp + name)
                count += 1
        return count

    def _spare_list(self) -> Optional[List[str]]:
        """This process's spares, if it keeps any (see :meth:`keep_spare_files`)."""
        spares = self._spares
        if spares is None or self._spares_pid != os.getpid():
            return None
        return spares

    def _to_pool(self, path: str) -> None:
        """Hand the spare ``path`` (private to this process) to the pool, or delete it."""
        try:
            os.rename(path, self._tmp + SPARE_PREFIX + os.urandom(12).hex())
        except OSError:
            self._discard(path)

    def _claim(self) -> Optional[str]:
        """A spare from the pool, renamed to a name private to this process (the rename is
        what makes it ours: of two processes claiming the same one, one gets ENOENT)."""
        names = self._pool_names
        if not names:
            # List the pool again only after some writes: an empty pool is not listed per write.
            self._pool_listed += 1
            if self._pool_listed % 16:
                return None
            names = self._pool_names = [n for n in self._listdir(self._tmp) if n.startswith(SPARE_PREFIX)]
        while names:
            private = self._tmp + os.urandom(12).hex()
            try:
                os.rename(self._tmp + names.pop(), private)
            except FileNotFoundError:
                continue
            return private
        return None

    def _park(self, path: str) -> None:
        """``path`` (in ``tmp/``, named by nobody else) is no longer needed: keep it as a spare
        if this process keeps spares and has room, else delete it."""
        spares = self._spare_list()
        if spares is not None and len(spares) < MAX_SPARES:
            spares.append(path)
        else:
            self._discard(path)

    def _remove_to_spare(self, path: str) -> bool:
        """Remove the file ``path`` (a job description) as atomically as ``unlink`` would,
        keeping its inode as a spare where this process keeps spares or shares them. False if
        it did not exist."""
        spares = self._spare_list()
        try:
            if spares is not None and len(spares) < MAX_SPARES:
                spare = self._tmp + os.urandom(12).hex()
                os.rename(path, spare)
                spares.append(spare)
            elif self._share_pid == os.getpid() and self._pooled < MAX_POOLED:
                os.rename(path, self._tmp + SPARE_PREFIX + os.urandom(12).hex())
                self._pooled += 1
            else:
                os.unlink(path)
        except FileNotFoundError:
            return False
        return True

    def _mkdir(self, path: str) -> None:
        os.mkdir(path, 0o700)
        if self._fix_dir_mode:
            os.chmod(path, 0o700)

    @contextmanager
    def _space_checked(self, dest: str) -> Iterator[None]:
        """Turn "no space left" while writing ``dest`` into :class:`JobStoreFullError`."""
        try:
            yield
        except JobStoreFullError:
            raise
        except OSError as err:
            if err.errno in _NO_SPACE:
                raise JobStoreFullError(self.locator, dest, err) from err
            raise

    def _ensure_dir(self, path: str) -> None:
        """Create ``path`` and missing parents up to (not including) the layout's base dirs."""
        try:
            self._mkdir(path)
        except FileExistsError:
            pass
        except FileNotFoundError:
            parent = os.path.dirname(path)
            if parent in self._base_dirs:
                raise NoSuchJobStoreException(self.locator) from None
            self._ensure_dir(parent)
            self._ensure_dir(path)

    def _new_tmp(self, mode: int = 0o600, name: Optional[str] = None) -> Tuple[str, int]:
        """A new temporary file in ``tmp/``: ``(path, open write descriptor)``; ``name``, if
        given, must be unique (a new stored file's random token), else one is drawn."""
        path = self._tmp + (name or os.urandom(12).hex())
        try:
            with self._space_checked(path):
                return path, os.open(path, _NEW_FILE, mode)
        except FileNotFoundError:
            raise NoSuchJobStoreException(self.locator) from None

    def _replace(self, tmp: str, dest: str) -> None:
        """``os.replace`` creating a missing fan-out directory on the way."""
        try:
            os.replace(tmp, dest)
        except FileNotFoundError:
            if not os.path.lexists(tmp):
                raise
            self._ensure_dir(os.path.dirname(dest))
            os.replace(tmp, dest)

    @staticmethod
    def _discard(tmp: str) -> None:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass

    def _write_bytes(self, data: bytes, dest: str, exchange: bool = False) -> None:
        """Write ``data`` to ``dest`` atomically, through a spare file if this process keeps
        any. With ``exchange`` (``dest`` is a job description being updated) the new file is
        swapped in (see :mod:`._exchange`) and the old one becomes a spare or is deleted."""
        if self._cipher is not None:
            data = self._seal_bytes(data, dest)
        spares = self._spare_list()
        fd = -1
        tmp: Optional[str] = None
        if spares is not None:
            tmp = spares.pop() if spares else self._claim()
        if tmp is not None:
            try:  # overwritten in place: truncating it to nothing first would make ext4 write it out
                fd = os.open(tmp, _REUSE_FLAGS)
            except OSError:
                fd = -1
        if fd < 0:
            tmp, fd = self._new_tmp()
            reused = False
        else:
            reused = True
        assert tmp is not None  # a claimed spare or a new temporary file
        try:
            with self._space_checked(dest):
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view):]
                    if reused:
                        os.ftruncate(fd, len(data))
                finally:
                    os.close(fd)
                if exchange:
                    try:
                        swapped = exchange_paths(tmp, dest)
                    except FileNotFoundError:  # dest is gone: publish as a new file
                        swapped = False
                    if swapped:
                        self._park(tmp)
                        return
                self._replace(tmp, dest)
        except BaseException:
            self._discard(tmp)
            raise

    def _atomic_stream(self, dest: Union[str, Callable[[str], None]], encoding: Optional[str],
                       errors: Optional[str], mode: int = 0o600, label: Optional[str] = None,
                       file_id: Optional[str] = None, tmp_name: Optional[str] = None) -> "AtomicStream":
        """A context manager yielding a handle on a temporary file, published when the block
        exits cleanly (see :class:`AtomicStream`).

        ``dest`` is the final path, or a function called with the temporary path to publish it
        (then ``label`` names the final path in errors). Running out of space anywhere in the
        block raises :class:`JobStoreFullError`. With ``file_id`` the block gets ``(handle,
        file_id)``; ``tmp_name`` (unique: a new file's random token) names the temporary file.
        """
        tmp, fd = self._new_tmp(mode, tmp_name)
        where = label if label is not None else (dest if isinstance(dest, str) else tmp)
        try:
            if self._cipher is not None:
                handle: IO[Any] = self._sealed_writer(os.fdopen(fd, "wb"), where, encoding, errors)
            elif encoding is None and errors is None:
                handle = os.fdopen(fd, "wb")
            else:
                handle = os.fdopen(fd, "w", encoding=encoding, errors=errors)
        except BaseException:
            try:
                os.close(fd)
            except OSError:
                pass
            self._discard(tmp)
            raise
        sized = self._cipher is None and encoding is None and errors is None
        return AtomicStream(self, tmp, handle, dest, where, file_id, sized)

    @staticmethod
    def _listdir(path: str) -> List[str]:
        try:
            return sorted(os.listdir(path))
        except FileNotFoundError:
            return []


class AtomicStream:
    """The context manager of :meth:`FileLayoutMixin._atomic_stream`: the block writes to a
    temporary file, which is published (renamed into place, or handed to a publishing function)
    only if the block exits cleanly, and deleted otherwise; running out of space, in the block
    or while flushing, raises :class:`JobStoreFullError`.

    A class rather than a generator-based context manager: a small file's write is a handful of
    system calls, and each ``contextmanager`` layer around them costs about as much as one.
    ``size`` is the size of the written file once a clear binary stream has been published.
    """

    __slots__ = ("_store", "_tmp", "_handle", "_dest", "_where", "_file_id", "_sized", "size")

    def __init__(self, store: FileLayoutMixin, tmp: str, handle: IO[Any],
                 dest: Union[str, Callable[[str], None]], where: str, file_id: Optional[str],
                 sized: bool) -> None:
        self._store = store
        self._tmp = tmp
        self._handle = handle
        self._dest = dest
        self._where = where
        self._file_id = file_id
        self._sized = sized
        self.size: Optional[int] = None

    def __enter__(self) -> Any:
        if self._file_id is not None:
            return self._handle, self._file_id
        return self._handle

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> Literal[False]:
        store, tmp = self._store, self._tmp
        if exc is not None:
            try:
                self._handle.__exit__(exc_type, exc, tb)  # (the handle's own protocol: closes it)
            except OSError:
                pass  # the block's own error is the one to report
            store._discard(tmp)
            if isinstance(exc, OSError) and not isinstance(exc, JobStoreFullError) and exc.errno in _NO_SPACE:
                raise JobStoreFullError(store.locator, self._where, exc) from exc
            return False
        try:
            handle = self._handle
            if self._sized and not handle.closed:  # (a block may close the handle itself)
                handle.flush()
                self.size = os.fstat(handle.fileno()).st_size
            handle.__exit__(None, None, None)
            dest = self._dest
            if callable(dest):
                dest(tmp)
            else:
                store._replace(tmp, dest)
        except BaseException as err:  # (a file object is closed even when its final flush fails)
            store._discard(tmp)
            if isinstance(err, OSError) and not isinstance(err, JobStoreFullError) and err.errno in _NO_SPACE:
                raise JobStoreFullError(store.locator, self._where, err) from err
            raise
        return False
