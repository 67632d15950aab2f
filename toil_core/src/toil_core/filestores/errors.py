"""Exceptions raised by the caching file store."""
from __future__ import annotations

from toil_core.lib.errors import ToilError


class CacheError(ToilError):
    """Base class of caching file store errors."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CacheUnbalancedError(CacheError):
    """The cache could not free enough space."""

    message = (
        "Unable to free enough space for caching. This error frequently arises due to jobs "
        "using more disk than they have requested, or to other processes filling the disk. "
        "Request more disk for your jobs (disk=...), free up space on the work directory's "
        "filesystem, or turn caching off with --disableCaching."
    )

    def __init__(self, message: str = "") -> None:
        super().__init__(message or CacheUnbalancedError.message)


class IllegalDeletionCacheError(CacheError):
    """A file handed out by readGlobalFile was deleted behind the file store's back."""

    def __init__(self, deletedFile: str) -> None:
        super().__init__(
            f"Cache tracked file '{deletedFile}' has been deleted or moved by the user. Files "
            "read with readGlobalFile must not be deleted by the user; use deleteLocalFile."
        )
        self.deletedFile = deletedFile


class InvalidSourceCacheError(CacheError):
    """A file cannot be taken into the cache (for instance it is not a local regular file)."""
