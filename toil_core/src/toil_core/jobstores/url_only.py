"""Upstream's ``JobStoreSupport``: a job store class that holds no jobs and only reads URLs.

Upstream Toil reads ``http://``, ``https://`` and ``ftp://`` URLs through this "mostly fake" job
store, so code written for it calls ``JobStoreSupport.get_size(url)``,
``JobStoreSupport._read_from_url(url, stream)`` and friends directly. Here the reading is done by
:class:`~toil_core.jobstores.http_access.HTTPURLAccess` (retries, sizes, streams); this class only
gives it upstream's names, accepting URLs as strings or as :func:`urllib.parse.urlparse` results.
Every storage method refuses: there is nothing to store jobs or files in.
"""
from __future__ import annotations

import urllib.parse
from typing import IO, Any, List, NoReturn, Optional, Tuple, Union

from toil_core.jobstores.abstract import AbstractJobStore

__all__ = ["JobStoreSupport"]

URL = Union[str, urllib.parse.ParseResult]


def _text(url: URL) -> str:
    return url.geturl() if isinstance(url, urllib.parse.ParseResult) else str(url)


def _refuse(name: str) -> Any:
    def refused(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
        raise NotImplementedError(f"JobStoreSupport only reads http(s) and ftp URLs; it cannot {name}. "
                                  "Use a real job store (file:, aws:, google:) for jobs and files.")

    refused.__name__ = name
    refused.__doc__ = "Refused: this class stores nothing (see the module docstring)."
    return refused


class JobStoreSupport(AbstractJobStore):
    """Reads ``http``, ``https`` and ``ftp`` URLs under upstream's job store names; stores nothing."""

    schemes = ("http", "https", "ftp")

    @staticmethod
    def _access() -> Any:
        from toil_core.jobstores.http_access import HTTPURLAccess  # lazy: urllib is imported only when used

        return HTTPURLAccess

    @classmethod
    def _supports_url(cls, url: URL, export: bool = False) -> bool:
        """True for http(s) and ftp URLs when reading (these URLs cannot be written)."""
        return not export and urllib.parse.urlparse(_text(url)).scheme.lower() in cls.schemes

    @classmethod
    def supports_url(cls, url: URL, export: bool) -> bool:
        return cls._supports_url(url, export)

    @classmethod
    def get_size(cls, url: URL) -> Optional[int]:  # type: ignore[override]
        """The size in bytes of the file at ``url``, or None when the server does not say."""
        return cls._access().get_size(_text(url))

    _get_size = get_size

    @classmethod
    def _get_is_directory(cls, url: URL) -> bool:
        """Always False: these URLs name single files."""
        return cls._access().get_is_directory(_text(url))

    get_is_directory = _get_is_directory  # type: ignore[assignment]

    @classmethod
    def _list_url(cls, url: URL) -> List[str]:
        return cls._access().list_url(_text(url))

    @classmethod
    def _read_from_url(cls, url: URL, writable: IO[bytes]) -> Tuple[int, bool]:
        """Copy the file at ``url`` into ``writable``; ``(size, executable)``, never executable."""
        return cls._access().read_from_url(_text(url), writable)

    read_from_url = _read_from_url  # type: ignore[assignment]

    @classmethod
    def _open_url(cls, url: URL) -> IO[bytes]:
        """A readable binary stream on ``url`` (close it when done)."""
        return cls._access().open_url(_text(url))

    open_url = _open_url  # type: ignore[assignment]


for _name in sorted(AbstractJobStore.__abstractmethods__):
    setattr(JobStoreSupport, _name, _refuse(_name))
JobStoreSupport.__abstractmethods__ = frozenset()
del _name
