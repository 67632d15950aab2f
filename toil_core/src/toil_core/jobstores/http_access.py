"""Read-only URL access over http(s) and ftp through urllib (imported only when used)."""
from __future__ import annotations

import errno
import http.client
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import IO, Any, Callable, List, Optional, Sequence, Tuple, TypeVar

from .url_access import COPY_BUFFER_SIZE, AbstractURLAccess, copy_stream, url_scheme  # noqa: F401
from .errors import InvalidImportExportUrlException  # noqa: F401

__all__ = ["HTTPURLAccess"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

# ---------------------------------------------------------------------------------- http(s)
_RETRY_STATUS = frozenset({408, 500, 503})
_RETRY_ERRORS = (ConnectionError, http.client.BadStatusLine, http.client.IncompleteRead, TimeoutError)


class HTTPURLAccess(AbstractURLAccess):
    """Read-only access to ``http://``, ``https://`` and ``ftp://`` URLs through urllib."""

    schemes = ("http", "https", "ftp")
    #: Seconds to wait before each retry; the number of entries is the number of retries.
    retry_intervals: Sequence[float] = (1.0, 2.0, 4.0, 8.0)
    #: Socket timeout in seconds for each request.
    timeout: float = 60.0

    @classmethod
    def supports_url(cls, url: str, export: bool) -> bool:
        return not export and url_scheme(url) in cls.schemes

    @classmethod
    def _check(cls, url: str) -> None:
        if url_scheme(url) not in cls.schemes:
            raise InvalidImportExportUrlException(url)

    @classmethod
    def _with_retries(cls, url: str, action: Callable[[], T]) -> T:
        intervals = list(cls.retry_intervals)
        while True:
            try:
                return action()
            except urllib.error.HTTPError as err:
                if err.code == 404:
                    err.close()
                    raise FileNotFoundError(errno.ENOENT, f"No such file or directory: '{url}' "
                                            f"(HTTP 404)", url) from None
                if err.code not in _RETRY_STATUS or not intervals:
                    raise
                err.close()
                logger.warning("HTTP %s reading %s; retrying", err.code, url)
            except urllib.error.URLError as err:
                if not isinstance(err.reason, _RETRY_ERRORS) or not intervals:
                    raise
                logger.warning("Error reading %s (%s); retrying", url, err.reason)
            except _RETRY_ERRORS as err:
                if not intervals:
                    raise
                logger.warning("Error reading %s (%s); retrying", url, err)
            time.sleep(intervals.pop(0))

    @classmethod
    def _open(cls, url: str, method: Optional[str] = None) -> Any:
        cls._check(url)
        request = urllib.request.Request(url, method=method)
        return urllib.request.urlopen(request, timeout=cls.timeout)

    @classmethod
    def open_url(cls, url: str) -> IO[bytes]:
        return cls._with_retries(url, lambda: cls._open(url))

    @classmethod
    def get_size(cls, url: str) -> Optional[int]:
        def probe() -> Optional[int]:
            try:
                response = cls._open(url, "HEAD" if url_scheme(url) != "ftp" else None)
            except urllib.error.HTTPError as err:
                if err.code not in (405, 501):
                    raise
                err.close()
                response = cls._open(url)  # server refuses HEAD: use GET headers only
            with response:
                length = response.headers.get("Content-Length")
            return int(length) if length and length.isdigit() else None

        return cls._with_retries(url, probe)

    @classmethod
    def get_is_directory(cls, url: str) -> bool:
        cls._check(url)
        return False

    @classmethod
    def list_url(cls, url: str) -> List[str]:
        raise NotImplementedError(f"Listing is not supported for '{url}': {url_scheme(url)} URLs "
                                  "are single files.")

    @classmethod
    def read_from_url(cls, url: str, writable: IO[bytes]) -> Tuple[int, bool]:
        try:
            start: Optional[int] = writable.tell() if writable.seekable() else None
        except (OSError, AttributeError, ValueError):
            start = None

        def fetch() -> int:
            if start is not None:
                writable.seek(start)
                writable.truncate()
            with cls._open(url) as response:
                return copy_stream(response, writable)

        if start is None:
            # Cannot rewind the destination: only retry failures before the first byte.
            with cls.open_url(url) as response:
                return copy_stream(response, writable), False
        return cls._with_retries(url, fetch), False

    @classmethod
    def write_to_url(cls, readable: IO[bytes], url: str, executable: bool = False) -> None:
        raise RuntimeError(f"Cannot export to '{url}': {url_scheme(url)} URLs can only be imported "
                           "from, not exported to. Export to a file:// URL or an object store.")
