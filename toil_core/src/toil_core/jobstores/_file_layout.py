"""The write path under FileJobStore: directories made on demand, temporary files published with
one rename, and "no space left" turned into :class:`JobStoreFullError`.

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

from toil_core.lib.exchange import exchange

from ._file_transfer import NEW_FILE as _NEW_FILE
from .errors import JobStoreFullError, NoSuchJobStoreException

__all__ = ["FileLayoutMixin"]

#: errno values that mean "the file system is full" (EDQUOT: over quota).
_NO_SPACE = frozenset(e for e in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if e is not None)


class FileLayoutMixin:
    """Low-level helpers of FileJobStore (set up by its ``__init__``)."""

    locator: str
    _tmp: str
    _base_dirs: FrozenSet[str]
    _fix_dir_mode: bool
    _cipher: Any

    if TYPE_CHECKING:  # provided by SealedIOMixin, part of the same class
        def _seal_bytes(self, data: bytes, dest: str) -> bytes: ...

        def _sealed_writer(self, raw: IO[bytes], dest: str, encoding: Optional[str],
                           errors: Optional[str]) -> IO[Any]: ...

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

    def _write_bytes(self, data: bytes, dest: str, existing: bool = False) -> None:
        """Store ``data`` at ``dest`` atomically. ``existing``: ``dest`` is there already (an
        update): the new file is swapped with it rather than renamed over it, which on ext4 would
        start a disk write that a deletion soon after waits for (see :mod:`toil_core.lib.exchange`)."""
        if self._cipher is not None:
            data = self._seal_bytes(data, dest)
        tmp, fd = self._new_tmp()
        try:
            with self._space_checked(dest):
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view):]
                finally:
                    os.close(fd)
                if not (existing and exchange(tmp, dest)):
                    self._replace(tmp, dest)
                    return
        except BaseException:
            self._discard(tmp)
            raise
        self._discard(tmp)  # the old content, swapped out (a kill before this leaves it in tmp/)

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
