"""Import and export for :class:`~toil_core.jobstores.file_job_store.FileJobStore`.

``file:`` sources and destinations are copied, hard-linked or symlinked directly between paths
(``import_file(..., hardlink=True / symlink=True)``, ``--moveExports``); every other scheme goes
through its URL access handler's streams. Either way the result appears atomically.
Also holds the small file-name and copy helpers FileJobStore uses.
"""
from __future__ import annotations

import errno
import os
import shutil
import stat
import urllib.parse
from typing import IO, TYPE_CHECKING, Any, Callable, ContextManager, Dict, Optional, Tuple, Union

from ..filestores.file_id import FileID
from . import url_access as _url

if TYPE_CHECKING:
    from ..common.config import Config

__all__ = ["FileTransferMixin", "NEW_FILE", "copy_fd", "copy_into", "file_basename", "safe_job_name"]

#: Flags creating a new file that must not exist yet.
NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
#: Chunk size of user-space copies.
BUFFER_SIZE = 10 * 1024 * 1024


def safe_job_name(name: str, limit: int = 60) -> str:
    """Keep ``[A-Za-z0-9._-]`` (others become ``_``), no leading dot, at most ``limit`` chars."""
    key = (name, limit)
    safe = _safe_names.get(key)
    if safe is None:
        if len(_safe_names) > 4096:  # job names repeat; a workflow with endless distinct ones
            _safe_names.clear()
        safe = _safe_names[key] = _safe_job_name(name, limit)
    return safe


#: safe_job_name's answers: the same few job names recur across thousands of jobs.
_safe_names: Dict[Tuple[str, int], str] = {}


def _safe_job_name(name: str, limit: int) -> str:
    out = "".join(c if (c.isascii() and (c.isalnum() or c in "._-")) else "_" for c in name[:limit])
    return out.lstrip(".") or "job"


def file_basename(basename: Optional[str], default: str) -> str:
    """A file name usable as the last component of a file ID (kept as given when possible)."""
    if not basename:
        return default
    name = basename.replace("/", "_").replace("\0", "_")
    if name in (".", ".."):
        return default
    while len(name.encode("utf-8", "surrogateescape")) > 200:
        name = name[1:]  # keep the end: the extension matters more than the start
    return name


def copy_into(src_path: str, dst_fd: int) -> None:
    """Copy the file at ``src_path`` into the open descriptor ``dst_fd`` (kernel copy if possible)."""
    with open(src_path, "rb", buffering=0) as src:
        in_fd = src.fileno()
        st = os.fstat(in_fd)
        copy_fd(in_fd, st.st_size if stat.S_ISREG(st.st_mode) else 0, dst_fd)  # pipes etc.: plain reads


def copy_fd(in_fd: int, size: int, dst_fd: int) -> None:
    """Copy everything from ``in_fd`` (at offset 0; ``size`` bytes expected, 0 if unknown) into
    ``dst_fd``: sendfile for the expected bytes, plain reads for the rest."""
    offset = 0
    try:
        while offset < size:
            sent = os.sendfile(dst_fd, in_fd, offset, min(size - offset, 1 << 30))
            if sent == 0:
                break
            offset += sent
    except OSError as err:
        if offset or err.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise
    if offset:
        os.lseek(in_fd, offset, os.SEEK_SET)  # sendfile(offset=...) leaves the position alone
    while True:  # the rest (a file that grew, a pipe, or no sendfile support)
        chunk = os.read(in_fd, BUFFER_SIZE)
        if not chunk:
            return
        view = memoryview(chunk)
        while view:
            view = view[os.write(dst_fd, view):]


class FileTransferMixin:
    """The import/export half of FileJobStore (uses its private path helpers)."""

    _tmp: str
    _shared: str
    _cipher: Any

    if TYPE_CHECKING:  # provided by FileJobStore, the one class this mixin is part of
        BUFFER_SIZE: int

        @property
        def config(self) -> Config: ...

        def _atomic_stream(self, dest: Union[str, Callable[[str], None]], encoding: Optional[str],
                           errors: Optional[str], mode: int = 0o600,
                           label: Optional[str] = None) -> ContextManager[IO[Any]]: ...

        def _space_checked(self, dest: str) -> ContextManager[None]: ...

        @staticmethod
        def _discard(tmp: str) -> None: ...

        def _new_file_id(self, job_id: Optional[str], cleanup: bool, basename: Optional[str],
                         default: str = "stream") -> Tuple[str, str]: ...

        def _publish_new(self, tmp: str, dest: str) -> None: ...

        def _shared_path(self, shared_file_name: str) -> str: ...

        def get_local_path(self, file_id: str) -> str: ...

        def read_file_stream(self, file_id: str, encoding: Optional[str] = None,
                             errors: Optional[str] = None) -> ContextManager[IO[Any]]: ...

        def write_shared_file_stream(self, shared_file_name: str, encrypted: Optional[bool] = None,
                                     encoding: Optional[str] = None,
                                     errors: Optional[str] = None) -> ContextManager[IO[Any]]: ...
    def _import_file(self, handler: Any, src_uri: str, shared_file_name: Optional[str],
                     hardlink: bool, symlink: bool) -> Optional[FileID]:
        if self._cipher is not None or not (isinstance(handler, type) and issubclass(handler, _url.FileURLAccess)):
            return self._import_stream(handler, src_uri, shared_file_name)  # encrypted stores seal a copy
        src = handler.local_path(src_uri)
        st = handler._stat(src_uri)  # FileNotFoundError naming the URL
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, f"Cannot import a directory: '{src_uri}'", src)
        executable = bool(st.st_mode & stat.S_IXUSR)
        if shared_file_name is not None:
            with self._atomic_stream(self._shared_path(shared_file_name), None, None) as handle:
                with open(src, "rb") as source:
                    shutil.copyfileobj(source, handle, self.BUFFER_SIZE)
            return None
        file_id, dest = self._new_file_id(None, False, os.path.basename(src), "file")
        tmp = self._tmp + os.urandom(12).hex()
        try:
            linked = False
            if hardlink:
                try:
                    os.link(src, tmp)
                    linked = True
                except OSError:
                    pass
            if not linked and symlink:
                os.symlink(os.path.realpath(src), tmp)
                linked = True
            if not linked:
                with self._space_checked(dest):
                    fd = os.open(tmp, NEW_FILE, 0o700 if executable else 0o600)
                    try:
                        copy_into(src, fd)
                    finally:
                        os.close(fd)
            self._publish_new(tmp, dest)
        except BaseException:
            self._discard(tmp)
            raise
        return FileID(file_id, st.st_size, executable)

    def _import_stream(self, handler: Any, src_uri: str,
                       shared_file_name: Optional[str]) -> Optional[FileID]:
        if shared_file_name is not None:
            with self.write_shared_file_stream(shared_file_name) as handle:
                handler.read_from_url(src_uri, handle)
            return None
        base = os.path.basename(src_uri.split("?", 1)[0].split("#", 1)[0].rstrip("/"))
        file_id, dest = self._new_file_id(None, False, urllib.parse.unquote(base), "file")
        result: Dict[str, Any] = {}

        def publish(tmp: str) -> None:
            if result["executable"]:
                os.chmod(tmp, 0o700)
            self._publish_new(tmp, dest)

        with self._atomic_stream(publish, None, None, label=dest) as handle:
            result["size"], result["executable"] = handler.read_from_url(src_uri, handle)
        return FileID(file_id, result["size"], result["executable"])

    def _export_file(self, handler: Any, file_id: str, dst_uri: str) -> None:
        path = self.get_local_path(file_id)
        executable = bool(os.stat(path).st_mode & stat.S_IXUSR)
        if self._cipher is not None:  # an encrypted store exports the plaintext
            with self.read_file_stream(file_id) as handle:
                handler.write_to_url(handle, dst_uri, executable=executable)
            return
        if not (isinstance(handler, type) and issubclass(handler, _url.FileURLAccess)):
            with open(path, "rb") as handle:
                handler.write_to_url(handle, dst_uri, executable=executable)
            return
        if self.config.moveExports and not os.path.islink(path):
            if self._move_export(path, handler.local_path(dst_uri)):
                return
        handler.copy_local(path, dst_uri, executable)

    def _move_export(self, path: str, dst: str) -> bool:
        """``--moveExports``: give the stored file to ``dst`` and leave a symlink to it behind.

        Done with a hard link so that the stored file is valid at every instant. Returns False
        (caller copies) when ``dst`` is on another file system."""
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        dst_tmp = os.path.join(os.path.dirname(dst), f".{os.path.basename(dst)}.{os.urandom(6).hex()}.tmp")
        try:
            os.link(path, dst_tmp)
        except OSError:
            return False
        os.replace(dst_tmp, dst)
        link_tmp = self._tmp + os.urandom(12).hex()
        os.symlink(dst, link_tmp)
        os.replace(link_tmp, path)
        return True
