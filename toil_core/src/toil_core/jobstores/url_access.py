"""URL access: reading and writing the URLs that ``import_file``/``export_file`` accept.

A URL access handler is a class whose classmethods operate on URLs of the schemes it supports.
The job store finds the handler for a scheme through ``toil_core.plugins.registry`` (entry
point group ``toil.url_access``); this module provides the built-in ones:

* :class:`FileURLAccess` -- ``file:///abs/path`` URLs and bare local paths; import and export.
* :class:`HTTPURLAccess` (in :mod:`.http_access`, imported on first use because urllib's
  networking pulls in ssl and http) -- ``http://``, ``https://`` (and ``ftp://`` through
  urllib); import only, with retries on HTTP 408/500/503 and dropped connections.
"""
from __future__ import annotations

import errno
import logging
import os
import shutil
import stat
import urllib.parse
import uuid
from typing import IO, Any, List, Optional, Sequence, Tuple, TypeVar

from .errors import InvalidImportExportUrlException

__all__ = ["AbstractURLAccess", "FileURLAccess", "HTTPURLAccess", "COPY_BUFFER_SIZE"]  # noqa: F822

logger = logging.getLogger(__name__)

#: Chunk size used when copying between streams.
COPY_BUFFER_SIZE = 1 << 20

T = TypeVar("T")


class AbstractURLAccess:
    """Interface of a URL access handler. All methods are classmethods taking URL strings."""

    #: The URL schemes this handler serves.
    schemes: Sequence[str] = ()

    @classmethod
    def supports_url(cls, url: str, export: bool) -> bool:
        """True if this handler can import from (``export=False``) or export to ``url``."""
        raise NotImplementedError

    @classmethod
    def get_size(cls, url: str) -> Optional[int]:
        """Size in bytes of the object at ``url``, or None if it cannot be known."""
        raise NotImplementedError

    @classmethod
    def get_is_directory(cls, url: str) -> bool:
        """True if ``url`` names a directory (or prefix) rather than a file."""
        raise NotImplementedError

    @classmethod
    def list_url(cls, url: str) -> List[str]:
        """URL-encoded names in the directory ``url``; directories end in ``/``."""
        raise NotImplementedError

    @classmethod
    def read_from_url(cls, url: str, writable: IO[bytes]) -> Tuple[int, bool]:
        """Copy the object at ``url`` into ``writable``; return ``(size, executable)``."""
        raise NotImplementedError

    @classmethod
    def open_url(cls, url: str) -> IO[bytes]:
        """A readable binary stream of the object at ``url``; the caller closes it."""
        raise NotImplementedError

    @classmethod
    def write_to_url(cls, readable: IO[bytes], url: str, executable: bool = False) -> None:
        """Store everything ``readable`` yields at ``url``, executable if asked."""
        raise NotImplementedError


class URLAccess(AbstractURLAccess):
    """Upstream Toil's URL access base (``toil.lib.url.URLAccess``): a subclass implements the
    underscored classmethods (``_supports_url``, ``_read_from_url``...) and serves this core's
    interface unchanged, through the public methods below that call them."""

    @classmethod
    def _supports_url(cls, url: str, export: bool = False) -> bool:
        raise NotImplementedError

    @classmethod
    def _url_exists(cls, url: str) -> bool:
        raise NotImplementedError

    @classmethod
    def _get_size(cls, url: str) -> Optional[int]:
        raise NotImplementedError

    @classmethod
    def _get_is_directory(cls, url: str) -> bool:
        raise NotImplementedError

    @classmethod
    def _list_url(cls, url: str) -> List[str]:
        raise NotImplementedError

    @classmethod
    def _read_from_url(cls, url: str, writable: IO[bytes]) -> Tuple[int, bool]:
        raise NotImplementedError

    @classmethod
    def _open_url(cls, url: str) -> IO[bytes]:
        raise NotImplementedError

    @classmethod
    def _write_to_url(cls, readable: IO[bytes], url: str, executable: bool = False) -> None:
        raise NotImplementedError

    @classmethod
    def supports_url(cls, url: str, export: bool) -> bool:
        return bool(cls._supports_url(url, export))

    @classmethod
    def url_exists(cls, url: str) -> bool:
        return bool(cls._url_exists(url))

    @classmethod
    def get_size(cls, url: str) -> Optional[int]:
        return cls._get_size(url)

    @classmethod
    def get_is_directory(cls, url: str) -> bool:
        return bool(cls._get_is_directory(url))

    @classmethod
    def list_url(cls, url: str) -> List[str]:
        return list(cls._list_url(url))

    @classmethod
    def read_from_url(cls, url: str, writable: IO[bytes]) -> Tuple[int, bool]:
        return cls._read_from_url(url, writable)

    @classmethod
    def open_url(cls, url: str) -> IO[bytes]:
        return cls._open_url(url)

    @classmethod
    def write_to_url(cls, readable: IO[bytes], url: str, executable: bool = False) -> None:
        cls._write_to_url(readable, url, executable)


def as_url_access(handler: Any) -> Any:
    """``handler`` as this core's URL access interface: a class written for upstream Toil (only the
    underscored methods, not derived from :class:`URLAccess`) is wrapped in a subclass of both."""
    if handler is None or hasattr(handler, "read_from_url") or not hasattr(handler, "_read_from_url"):
        return handler
    return type(handler.__name__, (handler, URLAccess), {"__module__": handler.__module__})


def url_scheme(url: str) -> str:
    """The lower-case scheme of ``url``; ``'file'`` for a bare path."""
    head, sep, _ = url.partition(":")
    if not sep or "/" in head or not head:
        return "file"
    return head.lower()


def copy_stream(src: IO[bytes], dst: IO[bytes]) -> int:
    """Copy ``src`` into ``dst`` and return the number of bytes copied."""
    total = 0
    read = src.read
    write = dst.write
    while True:
        chunk = read(COPY_BUFFER_SIZE)
        if not chunk:
            return total
        write(chunk)
        total += len(chunk)


def current_umask() -> int:
    """The process umask (read without changing it where /proc allows)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no side-effect-free way elsewhere; restore at once
    os.umask(mask)
    return mask


class FileURLAccess(AbstractURLAccess):
    """``file:`` URLs (``file:///p``, ``file://localhost/p``, ``file:/p``) and bare paths."""

    schemes = ("file",)

    @classmethod
    def local_path(cls, url: str) -> str:
        """The absolute local path a ``file:`` URL or a bare path names."""
        if url_scheme(url) != "file":
            raise InvalidImportExportUrlException(url)
        if not url.lower().startswith("file:"):
            return os.path.abspath(url)
        parsed = urllib.parse.urlparse(url)
        if parsed.netloc not in ("", "localhost"):
            raise InvalidImportExportUrlException(url)
        path = urllib.parse.unquote(parsed.path)
        if not path:
            raise InvalidImportExportUrlException(url)
        return os.path.abspath(path)

    @classmethod
    def supports_url(cls, url: str, export: bool) -> bool:
        return url_scheme(url) == "file"

    @classmethod
    def _missing(cls, url: str, path: str) -> FileNotFoundError:
        return FileNotFoundError(
            errno.ENOENT, f"No such file or directory: '{url}' (looked for '{path}'). Check the "
            "path or URL; relative paths are resolved from the directory the workflow runs in")

    @classmethod
    def _stat(cls, url: str) -> os.stat_result:
        path = cls.local_path(url)
        try:
            return os.stat(path)
        except FileNotFoundError:
            raise cls._missing(url, path) from None

    @classmethod
    def get_size(cls, url: str) -> Optional[int]:
        return cls._stat(url).st_size

    @classmethod
    def get_is_directory(cls, url: str) -> bool:
        return stat.S_ISDIR(cls._stat(url).st_mode)

    @classmethod
    def list_url(cls, url: str) -> List[str]:
        path = cls.local_path(url)
        if not os.path.isdir(path):
            cls._stat(url)  # raises for a missing path
            raise NotADirectoryError(errno.ENOTDIR, f"Not a directory: '{url}'", path)
        names = []
        with os.scandir(path) as entries:
            for entry in entries:
                name = urllib.parse.quote(entry.name)
                names.append(name + "/" if entry.is_dir() else name)
        return sorted(names)

    @classmethod
    def open_url(cls, url: str) -> IO[bytes]:
        path = cls.local_path(url)
        if os.path.isdir(path):
            raise IsADirectoryError(errno.EISDIR, f"Is a directory, not a file: '{url}'", path)
        try:
            return open(path, "rb")
        except FileNotFoundError:
            raise cls._missing(url, path) from None

    @classmethod
    def read_from_url(cls, url: str, writable: IO[bytes]) -> Tuple[int, bool]:
        with cls.open_url(url) as src:
            executable = bool(os.fstat(src.fileno()).st_mode & stat.S_IXUSR)
            size = copy_stream(src, writable)
        return size, executable

    @classmethod
    def write_to_url(cls, readable: IO[bytes], url: str, executable: bool = False) -> None:
        path = cls.local_path(url)
        with atomic_local_output(path, executable) as out:
            copy_stream(readable, out)

    @classmethod
    def copy_local(cls, src_path: str, url: str, executable: bool) -> None:
        """Export the local file ``src_path`` to ``url`` (a fast path for local job stores)."""
        path = cls.local_path(url)
        with atomic_local_output(path, executable) as out:
            with open(src_path, "rb") as src:
                shutil.copyfileobj(src, out, COPY_BUFFER_SIZE)


class atomic_local_output:
    """Context manager: a binary file that appears at ``path`` only when the block succeeds.

    Missing parent directories are created. The file gets the usual permissions (0666, or
    0777 when ``executable``, minus the umask).
    """

    def __init__(self, path: str, executable: bool = False) -> None:
        self.path = path
        self.executable = executable
        directory, base = os.path.split(path)
        self.tmp = os.path.join(directory, f".{base}.{uuid.uuid4().hex[:12]}.tmp")
        self.handle: Optional[IO[bytes]] = None

    def __enter__(self) -> IO[bytes]:
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            if os.path.isdir(self.path):
                raise IsADirectoryError(errno.EISDIR, "Cannot write over a directory", self.path)
            mode = 0o777 if self.executable else 0o666
            fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        except OSError as err:
            raise _cannot_write(self.path, err) from err
        self.handle = os.fdopen(fd, "wb")
        return self.handle

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        assert self.handle is not None
        try:
            self.handle.close()
            if exc_type is None:
                if self.executable:
                    # Honour "executable" even under a umask that strips the owner's x bit.
                    mode = os.stat(self.tmp).st_mode
                    os.chmod(self.tmp, stat.S_IMODE(mode) | stat.S_IXUSR)
                os.replace(self.tmp, self.path)
        finally:
            if exc_type is not None or os.path.lexists(self.tmp):
                try:
                    os.unlink(self.tmp)
                except FileNotFoundError:
                    pass




def _cannot_write(path: str, err: OSError) -> OSError:
    """The same kind of OSError, saying which destination failed, why, and what to do."""
    culprit = err.filename if err.filename not in (None, path) else None
    if isinstance(err, FileExistsError) and culprit is not None:
        why = f"'{culprit}' is a file, not a directory"  # makedirs met a file on the way
    else:
        why = (err.strerror or str(err)) + (f" ('{culprit}')" if culprit else "")
    return type(err)(err.errno, f"Cannot write '{path}': {why}. Choose a destination in a "
                                f"directory you can write to")


def builtin_url_access(scheme: str) -> Optional[type]:
    """The built-in handler for ``scheme``, or None."""
    scheme = scheme.lower()
    if scheme == "file":
        return FileURLAccess
    if scheme in ("http", "https", "ftp"):
        # lazy: urllib.request is slow to import; only http(s)/ftp URLs need it
        from .http_access import HTTPURLAccess

        return HTTPURLAccess
    return None


def __getattr__(name: str) -> Any:
    """``url_access.HTTPURLAccess`` keeps working, without importing urllib.request up front."""
    if name == "HTTPURLAccess":
        # lazy: urllib.request is slow to import; only http(s)/ftp URLs need it
        from .http_access import HTTPURLAccess

        return HTTPURLAccess
    raise AttributeError(name)
