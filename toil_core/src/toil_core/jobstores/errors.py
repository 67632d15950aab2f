"""Exceptions raised by job stores (upstream ``toil.jobStores.abstractJobStore`` names).

::

    Exception
    └── JobStoreError                          base of the job store exceptions below
        ├── JobStoreExistsException            initialize() on a store that already exists
        ├── NoSuchJobStoreException            resume() on a store that does not exist
        ├── NoSuchJobException                 load/update of a job that is not stored
        ├── NoSuchFileException                read/update of a file that is not stored
        ├── ConcurrentFileModificationException  a file changed under an update
        ├── InvalidImportExportUrlException    a malformed import/export URL
        └── CorruptJobError                    a stored job description cannot be parsed
    RuntimeError
    ├── UnknownJobStoreError                   locator names an unknown implementation
    └── InvalidJobStoreLocatorError            locator is not ``scheme:rest`` or a path

The messages are the upstream ones, so scripts and users matching on them keep working.
"""
from __future__ import annotations

from typing import Any, Optional

__all__ = [
    "ConcurrentFileModificationException",
    "CorruptJobError",
    "InvalidImportExportUrlException",
    "InvalidJobStoreLocatorError",
    "JobStoreError",
    "JobStoreExistsException",
    "NoSuchFileException",
    "NoSuchJobException",
    "NoSuchJobStoreException",
    "UnknownJobStoreError",
]


class JobStoreError(Exception):
    """Base class of the job store exceptions (not present upstream; purely additive)."""


class JobStoreExistsException(JobStoreError):
    """Indicates that the specified job store already exists."""

    def __init__(self, locator: str) -> None:
        super().__init__(
            f"The job store '{locator}' already exists. Use --restart to resume the workflow, or "
            f"remove the job store with 'toil clean {locator}' to start the workflow from scratch."
        )
        self.locator = locator


class NoSuchJobStoreException(JobStoreError):
    """Indicates that the specified job store does not exist."""

    def __init__(self, locator: str) -> None:
        super().__init__(f"The job store '{locator}' does not exist, so there is nothing to restart.")
        self.locator = locator


class NoSuchJobException(JobStoreError):
    """Indicates that the specified job does not exist."""

    def __init__(self, jobStoreID: Any) -> None:
        super().__init__(f"The job '{jobStoreID}' does not exist.")
        self.jobStoreID = jobStoreID


class NoSuchFileException(JobStoreError):
    """Indicates that the specified file does not exist."""

    def __init__(self, jobStoreFileID: Any, customName: Optional[str] = None, *extra: Any) -> None:
        if customName is None:
            message = f"File '{jobStoreFileID}' does not exist."
        else:
            message = f"File '{jobStoreFileID}' ({customName}) does not exist."
        if extra:
            message += " Extra info: " + " ".join(str(e) for e in extra)
        super().__init__(message)
        self.jobStoreFileID = jobStoreFileID
        self.customName = customName
        self.extra = extra


class ConcurrentFileModificationException(JobStoreError):
    """Indicates that the file was attempted to be modified by multiple processes at once."""

    def __init__(self, jobStoreFileID: Any) -> None:
        super().__init__(f"Concurrent update to file {jobStoreFileID} detected.")
        self.jobStoreFileID = jobStoreFileID


class InvalidImportExportUrlException(JobStoreError):
    """The URL given to an import or export cannot be understood."""

    def __init__(self, url: Any) -> None:
        super().__init__(f"The URL '{url}' is invalid.")
        self.url = url


class CorruptJobError(JobStoreError):
    """A stored job description could not be parsed.

    Job store updates are atomic, so this only happens when something outside Toil damaged
    the job store (a full disk while copying it, a manual edit, a broken file system).
    """

    def __init__(self, jobStoreID: Any, path: str, cause: Any = None, locator: Optional[str] = None) -> None:
        reason = f" ({cause})" if cause is not None else ""
        where = locator if locator else "JOBSTORE"
        super().__init__(
            f"The description of job '{jobStoreID}' in file '{path}' cannot be parsed{reason}; "
            f"the job store may be damaged. Restore the job store from a backup, or remove it with "
            f"'toil clean {where}' and run the workflow from scratch."
        )
        self.jobStoreID = jobStoreID
        self.path = path
        self.cause = cause


class UnknownJobStoreError(RuntimeError):
    """The locator names a job store implementation that does not exist."""

    def __init__(self, scheme: str) -> None:
        super().__init__(f"Unknown job store implementation '{scheme}'")
        self.scheme = scheme


class InvalidJobStoreLocatorError(RuntimeError):
    """The locator is neither ``<scheme>:<rest>`` nor a path."""

    def __init__(self, locator: Optional[str] = None) -> None:
        super().__init__("Invalid job store locator syntax.")
        self.locator = locator
