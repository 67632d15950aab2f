"""The stored files of FileJobStore: ``files/<ff>/<token>-<name>`` (``files/job/...`` for a job's
own), their file IDs, and reading, writing, updating and deleting them, sealed or not."""
from __future__ import annotations

import os
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, ContextManager, Iterator, Optional, Tuple, Union

from ._file_transfer import NEW_FILE as _NEW_FILE
from ._file_transfer import copy_fd, copy_into, file_basename
from ._file_jobs import read_whole
from ._sealed_io import translating_tamper
from .errors import NoSuchFileException
from .sealed_names import NameSealer

__all__ = ["FileFilesMixin"]


class FileFilesMixin:
    """Stored files of FileJobStore (uses its layout, job and sealing helpers)."""

    locator: str
    _files: str
    _cipher: Any
    _names: Optional[NameSealer]

    if TYPE_CHECKING:  # provided by the other parts of FileJobStore
        def _job_path(self, job_id: str) -> str: ...

        def _new_tmp(self, mode: int = 0o600, name: Optional[str] = None) -> Tuple[str, int]: ...

        def _space_checked(self, dest: str) -> ContextManager[None]: ...

        def _ensure_dir(self, path: str) -> None: ...

        @staticmethod
        def _discard(tmp: str) -> None: ...

        def _atomic_stream(self, dest: Union[str, Callable[[str], None]], encoding: Optional[str],
                           errors: Optional[str], mode: int = 0o600, label: Optional[str] = None,
                           file_id: Optional[str] = None, tmp_name: Optional[str] = None) -> Any: ...

        def _seal_file_into(self, local_path: str, fd: int, dest: str) -> None: ...

        def _write_bytes(self, data: bytes, dest: str) -> None: ...

        def _unseal_file_to(self, path: str, local_path: str) -> None: ...

        def _sealed_reader(self, path: str, encoding: Optional[str], errors: Optional[str]) -> IO[Any]: ...

        def _plain_size(self, stored_size: int) -> int: ...

    def _file_path(self, file_id: str) -> str:
        """Path of a stored file; NoSuchFileException for an ID that cannot be ours."""
        fid = str(file_id)
        if not fid or fid[0] == "/" or "\0" in fid or (
                ".." in fid and ".." in fid.split("/")):
            raise NoSuchFileException(file_id)
        return self._files + fid

    def _new_file_id(self, job_id: Optional[str], cleanup: bool, basename: Optional[str],
                     default: str = "stream") -> Tuple[str, str]:
        token = os.urandom(10).hex()
        name = file_basename(basename, default)
        if self._names is not None:
            name = self._names.seal(name, token)
        if cleanup and job_id is not None:
            job_id = str(job_id)
            self._job_path(job_id)  # validates it
            file_id = f"job/{job_id[-2:]}/{job_id}/{token}-{name}"
        else:
            file_id = f"{token[:2]}/{token}-{name}"
        return file_id, self._files + file_id

    def _copy_in(self, local_path: str, fd: int, dest: str) -> None:
        """Copy a local file into the open descriptor of the temporary file for ``dest``."""
        if self._cipher is not None:
            self._seal_file_into(local_path, fd, dest)
        else:
            copy_into(local_path, fd)

    def _publish_new(self, tmp: str, dest: str) -> None:
        try:
            os.rename(tmp, dest)
        except FileNotFoundError:
            self._ensure_dir(os.path.dirname(dest))  # first file of a fan-out or job directory
            os.rename(tmp, dest)

    def write_file(self, local_path: str, job_id: Optional[str] = None, cleanup: bool = False) -> str:
        file_id, dest = self._new_file_id(job_id, cleanup, os.path.basename(local_path), "file")
        if self._cipher is not None:
            self._copy_local_in(local_path, dest, lambda tmp: self._publish_new(tmp, dest))
            return file_id
        # Clear store: the source is opened once and its one fstat gives both the executable
        # bit and the size (small files are dominated by system calls).
        in_fd = os.open(local_path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            st = os.fstat(in_fd)
            tmp, fd = self._new_tmp(0o700 if st.st_mode & stat.S_IXUSR else 0o600)
            try:
                with self._space_checked(dest):
                    try:
                        copy_fd(in_fd, st.st_size if stat.S_ISREG(st.st_mode) else 0, fd)
                    finally:
                        os.close(fd)
                    self._publish_new(tmp, dest)
            except BaseException:
                self._discard(tmp)
                raise
        finally:
            os.close(in_fd)
        return file_id

    def write_file_stream(self, job_id: Optional[str] = None, cleanup: bool = False,
                          basename: Optional[str] = None, encoding: Optional[str] = None,
                          errors: Optional[str] = None) -> ContextManager[Tuple[IO[Any], str]]:
        """A context manager yielding ``(handle, file_id)`` (an :class:`AtomicStream`: after a
        clear binary write its ``size`` is the file's). The temporary file is named after the
        new file's random token, so a write draws one random number, not two."""
        file_id, dest = self._new_file_id(job_id, cleanup, basename)
        return self._atomic_stream(lambda tmp: self._publish_new(tmp, dest), encoding, errors,
                                   label=dest, file_id=file_id, tmp_name=file_id.rpartition("/")[2][:20])

    def get_empty_file_store_id(self, job_id: Optional[str] = None, cleanup: bool = False,
                                basename: Optional[str] = None) -> str:
        file_id, dest = self._new_file_id(job_id, cleanup, basename)
        if self._cipher is not None:  # an encrypted empty file is not empty: write it atomically
            with self.write_reserved_file_stream(file_id):
                pass
            return file_id
        with self._space_checked(dest):
            try:
                fd = os.open(dest, _NEW_FILE, 0o600)  # an empty file is complete when created
            except FileNotFoundError:
                self._ensure_dir(os.path.dirname(dest))
                fd = os.open(dest, _NEW_FILE, 0o600)
        os.close(fd)
        return file_id

    def reserve_file_id(self) -> str:
        """A fresh file ID; nothing is created until :meth:`write_reserved_file_stream`."""
        return self._new_file_id(None, False, None)[0]

    def write_reserved_file_bytes(self, file_id: str, data: bytes) -> None:
        """FileJobStore-specific: store ``data`` as the reserved file ``file_id`` in one atomic
        write (what :meth:`write_reserved_file_stream` does, without a buffered stream)."""
        if self._cipher is not None:
            with self.write_reserved_file_stream(file_id) as stream:
                stream.write(data)
            return
        self._write_bytes(data, self._file_path(file_id))

    def read_file_bytes(self, file_id: str) -> bytes:
        """FileJobStore-specific: the whole content of the stored file ``file_id`` (what
        :meth:`read_file_stream` gives, read without a buffered stream in a clear store)."""
        if self._cipher is not None:
            with self.read_file_stream(file_id) as stream:
                return stream.read()
        try:
            path = self._file_path(file_id)
        except NoSuchFileException:
            raise self._missing(file_id) from None
        try:
            return read_whole(path)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise self._missing(file_id) from None

    @contextmanager
    def write_reserved_file_stream(self, file_id: str) -> Iterator[IO[Any]]:
        dest = self._file_path(file_id)
        with self._atomic_stream(dest, None, None) as handle:
            yield handle

    def _missing(self, file_id: str) -> NoSuchFileException:
        """The error for reading a file that is not stored, saying where it was looked for."""
        try:
            where = f"no file at '{self._file_path(file_id)}'"
        except NoSuchFileException:
            where = "not a file ID of this job store"
        return NoSuchFileException(
            file_id, None,
            f"({where} in job store '{self.locator}'). Pass a file ID returned by writeGlobalFile "
            f"or importFile in this workflow; if it was one, the file was deleted or the job store "
            f"is damaged: restore the file from a backup and resume with --restart.")

    def get_local_path(self, file_id: str) -> str:
        """FileJobStore-specific: the path of the stored file, e.g. for a caching file store
        to hard-link from. Never modify or chmod it. For a file imported with
        ``symlink=True`` the path is a symlink to the user's original file (copy it instead).

        :raises NoSuchFileException: if the file does not exist.
        """
        try:
            path = self._file_path(file_id)
        except NoSuchFileException:
            raise self._missing(file_id) from None
        if not os.path.isfile(path):
            raise self._missing(file_id)
        return path

    def read_file(self, file_id: str, local_path: str, symlink: bool = False) -> None:
        """Copy the file to ``local_path`` atomically (executable bit kept); with ``symlink``,
        make ``local_path`` a symlink to the stored file instead."""
        if self._cipher is not None or symlink:
            src = self.get_local_path(file_id)
        else:
            try:
                src = self._file_path(file_id)
            except NoSuchFileException:
                raise self._missing(file_id) from None
        local_path = os.path.abspath(local_path)
        directory, base = os.path.split(local_path)
        tmp = os.path.join(directory, f".{base}.{os.urandom(6).hex()}.tmp")
        try:
            if self._cipher is not None:
                self._unseal_file_to(src, tmp)
                if os.stat(src).st_mode & stat.S_IXUSR:
                    os.chmod(tmp, stat.S_IMODE(os.stat(tmp).st_mode) | stat.S_IXUSR)
            elif symlink:
                os.symlink(src, tmp)
            else:
                self._copy_out(file_id, src, tmp)
            os.replace(tmp, local_path)
        except BaseException:
            self._discard(tmp)
            raise

    def _copy_out(self, file_id: str, src: str, tmp: str) -> None:
        """Copy the stored (clear) file ``src`` to the new file ``tmp``, as ``shutil.copyfile``
        would (mode 0666 less the umask), adding execute bits where read bits are when ``src``
        is executable. One open and one fstat of ``src``: small files are dominated by calls."""
        try:
            in_fd = os.open(src, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise self._missing(file_id) from None
        try:
            st = os.fstat(in_fd)
            if not stat.S_ISREG(st.st_mode):
                raise self._missing(file_id)
            out_fd = os.open(tmp, _NEW_FILE, 0o666)
            try:
                copy_fd(in_fd, st.st_size, out_fd)
                if st.st_mode & stat.S_IXUSR:
                    mode = stat.S_IMODE(os.fstat(out_fd).st_mode)
                    os.fchmod(out_fd, mode | stat.S_IXUSR | ((mode & 0o044) >> 2))
            finally:
                os.close(out_fd)
        finally:
            os.close(in_fd)

    def read_file_stream(self, file_id: str, encoding: Optional[str] = None,
                         errors: Optional[str] = None) -> ContextManager[IO[Any]]:
        """The open file (a context manager closing it) in a clear store, so that reading a small
        file costs an open, a read and a close and no more; in an encrypted store a wrapper that
        also turns a failed authentication into :class:`TamperedFileError`. A missing file is
        reported here, before the block is entered."""
        try:
            path = self._file_path(file_id)
        except NoSuchFileException:
            raise self._missing(file_id) from None
        try:
            handle = self._open_read(path, encoding, errors)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise self._missing(file_id) from None
        if self._cipher is None:
            return handle
        return self._tamper_translated(handle)

    @contextmanager
    def _tamper_translated(self, handle: IO[Any]) -> Iterator[IO[Any]]:
        with translating_tamper(self.locator), handle:
            yield handle

    def _open_read(self, path: str, encoding: Optional[str], errors: Optional[str]) -> IO[Any]:
        """Open a stored object for reading (decrypting it in an encrypted store)."""
        if self._cipher is not None:
            return self._sealed_reader(path, encoding, errors)
        if encoding is None and errors is None:
            return open(path, "rb")
        return open(path, "r", encoding=encoding, errors=errors)

    def delete_file(self, file_id: str) -> None:
        try:
            path = self._file_path(file_id)
        except NoSuchFileException:
            return
        try:
            os.unlink(path)
        except (FileNotFoundError, NotADirectoryError):
            pass
        except OSError:
            if not os.path.isdir(path):  # an ID naming a layout directory is simply not a file
                raise

    def file_exists(self, file_id: str) -> bool:
        try:
            return os.path.isfile(self._file_path(file_id))
        except NoSuchFileException:
            return False

    def get_file_size(self, file_id: str) -> int:
        try:
            st = os.stat(self._file_path(file_id))
        except (NoSuchFileException, OSError):
            return 0
        if not stat.S_ISREG(st.st_mode):
            return 0
        return self._plain_size(st.st_size) if self._cipher is not None else st.st_size

    def _existing_mode(self, file_id: str) -> Tuple[str, int]:
        path = self._file_path(file_id)
        try:
            st = os.stat(path)
        except OSError:
            raise NoSuchFileException(file_id) from None
        if not stat.S_ISREG(st.st_mode):
            raise NoSuchFileException(file_id)
        return path, (0o700 if st.st_mode & stat.S_IXUSR else 0o600)

    def _publish_update(self, file_id: str, tmp: str, dest: str) -> None:
        # A file deleted while we were writing must stay deleted (the check and the rename
        # are not one atomic step, but the window is a single system call wide).
        if not os.path.lexists(dest):
            raise NoSuchFileException(file_id)
        try:
            os.replace(tmp, dest)
        except (FileNotFoundError, NotADirectoryError):
            raise NoSuchFileException(file_id) from None

    def update_file(self, file_id: str, local_path: str) -> None:
        """Replace the file's content (and executable bit) with the local file's."""
        dest, _ = self._existing_mode(file_id)
        self._copy_local_in(local_path, dest, lambda tmp: self._publish_update(file_id, tmp, dest))

    def _copy_local_in(self, local_path: str, dest: str, publish: Callable[[str], None]) -> None:
        """Copy (sealing if the store is encrypted) a local file into a new temporary file carrying its
        executable bit, then ``publish`` the temporary file; it is discarded if anything fails."""
        executable = bool(os.stat(local_path).st_mode & stat.S_IXUSR)
        tmp, fd = self._new_tmp(0o700 if executable else 0o600)
        try:
            with self._space_checked(dest):
                try:
                    self._copy_in(local_path, fd, dest)
                finally:
                    os.close(fd)
                publish(tmp)
        except BaseException:
            self._discard(tmp)
            raise

    @contextmanager
    def update_file_stream(self, file_id: str, encoding: Optional[str] = None,
                           errors: Optional[str] = None) -> Iterator[IO[Any]]:
        dest, mode = self._existing_mode(file_id)
        with self._atomic_stream(lambda tmp: self._publish_update(file_id, tmp, dest), encoding,
                                 errors, mode, label=dest) as handle:
            yield handle

    def get_public_url(self, file_id: str) -> str:
        return Path(self.get_local_path(file_id)).as_uri()
