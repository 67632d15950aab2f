"""Exceptions raised by job stores (upstream ``toil.jobStores.abstractJobStore`` names).

::

    Exception
    └── JobStoreError                          base of the job store exceptions below
        ├── JobStoreExistsException            initialize() on a store that already exists
        │   └── NotAJobStoreError              ... on a path that exists but is no job store
        ├── NoSuchJobStoreException            resume() on a store that does not exist
        ├── NoSuchJobException                 load/update of a job that is not stored
        ├── NoSuchFileException                read/update of a file that is not stored
        ├── ConcurrentFileModificationException  a file changed under an update
        ├── InvalidImportExportUrlException    a malformed import/export URL
        ├── CorruptJobError                    a stored job description cannot be parsed
        ├── CorruptJobStoreError               another stored file (the config) cannot be read
        ├── JobStoreInUseError                 another leader runs the workflow in this store
        ├── UntrustedJobStoreError             the store is owned by another user: not loaded
        ├── JobStoreLocationError              the store's path cannot be created / is no store
        └── JobStoreFullError (also OSError)   no space left while writing to the store
    RuntimeError
    ├── UnknownJobStoreError                   locator names an unknown implementation
    └── InvalidJobStoreLocatorError            locator is not ``scheme:rest`` or a path

The messages are the upstream ones, so scripts and users matching on them keep working.
"""
from __future__ import annotations

import pwd
from typing import Any, Optional

from toil_core.lib.errors import ToilBaseException, ToilError

__all__ = [
    "ConcurrentFileModificationException",
    "CorruptJobError",
    "CorruptJobStoreError",
    "InvalidImportExportUrlException",
    "InvalidJobStoreLocatorError",
    "JobStoreError",
    "JobStoreExistsException",
    "JobStoreFullError",
    "JobStoreInUseError",
    "JobStoreLocationError",
    "NoSuchFileException",
    "NoSuchJobException",
    "NoSuchJobStoreException",
    "NotAJobStoreError",
    "ProxyConnectionError",
    "UnknownJobStoreError",
    "UntrustedJobStoreError",
]


class JobStoreError(ToilError):
    """Base class of the job store exceptions (not present upstream; purely additive)."""


class JobStoreExistsException(JobStoreError):
    """Indicates that the specified job store already exists."""

    def __init__(self, locator: str) -> None:
        super().__init__(
            f"The job store '{locator}' already exists. Use --restart to resume the workflow, or "
            f"remove the job store with 'toil clean {locator}' to start the workflow from scratch."
        )
        self.locator = locator


class NotAJobStoreError(JobStoreExistsException):
    """The job store path is an existing directory (or file) that is not a Toil job store.

    A JobStoreExistsException (as upstream raises), with a message that does not send the
    user to --restart, which could not work.
    """

    def __init__(self, locator: str, path: str, is_file: bool = False) -> None:
        JobStoreError.__init__(
            self,
            f"The job store '{locator}' cannot be created: '{path}' already exists and is "
            + ("a file, not a directory" if is_file else "not a Toil job store")
            + ". Give the path of a directory that does not exist yet (Toil creates the job store "
            "directory itself), or move that " + ("file" if is_file else "directory") + " away.",
        )
        self.locator = locator
        self.path = path


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


def _restore_or_clean(locator: str) -> str:
    """The cure for a damaged stored file, shared by the corruption errors."""
    return (f"Restore that file (or the whole job store) from a backup and resume the workflow with "
            f"--restart, or remove the job store with 'toil clean {locator}' and run the workflow "
            f"from scratch.")


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
            f"the job store may be damaged. {_restore_or_clean(where)}"
        )
        self.jobStoreID = jobStoreID
        self.path = path
        self.cause = cause


class CorruptJobStoreError(JobStoreError):
    """A file the job store needs (such as the workflow's config) cannot be read back."""

    def __init__(self, locator: str, path: str, cause: Any = None) -> None:
        reason = f" ({type(cause).__name__}: {cause})" if cause is not None else ""
        super().__init__(
            f"The file '{path}' of job store '{locator}' cannot be read{reason}; the job store is "
            f"damaged. {_restore_or_clean(locator)}"
        )
        self.locator = locator
        self.path = path
        self.cause = cause


class JobStoreInUseError(JobStoreError):
    """Another leader holds the job store's leader lock: two leaders must never share a store."""

    def __init__(self, locator: str, lock_path: str, holder: str = "") -> None:
        who = f" ({holder})" if holder else ""
        super().__init__(
            f"The job store '{locator}' is in use by another Toil leader{who}: it holds the lock "
            f"'{lock_path}'. Two leaders must not run one workflow at once. Wait for that leader "
            f"to finish, or stop it with 'toil kill {locator}', then resume with --restart."
        )
        self.locator = locator
        self.lock_path = lock_path
        self.holder = holder


class UntrustedJobStoreError(JobStoreError):
    """The job store (or a file in it that would be unpickled) belongs to another user.

    Loading a job store unpickles its files, which can run arbitrary code, so a store that
    someone else controls is refused before anything in it is read.
    """

    def __init__(self, locator: str, path: str, owner_uid: int, own_uid: int,
                 store_dir: Optional[str] = None) -> None:
        super().__init__(
            f"Refusing to load the job store '{locator}': '{path}' is owned by "
            f"{_user_name(owner_uid)}, but you are {_user_name(own_uid)}. Loading a job store runs "
            f"code stored in it, so only job stores you own are loaded. If you trust this one, "
            f"take ownership of it ('chown -R {own_uid} {store_dir or path}') or copy it, and run "
            f"again."
        )
        self.locator = locator
        self.path = path
        self.owner_uid = owner_uid


def _user_name(uid: int) -> str:
    try:
        return f"user '{pwd.getpwuid(uid).pw_name}' (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


class JobStoreLocationError(JobStoreError):
    """The job store cannot be created at the path given (or the path is not a job store)."""

    def __init__(self, locator: str, problem: str, fix: str) -> None:
        super().__init__(f"Cannot use '{locator}' as a job store: {problem}. {fix}")
        self.locator = locator


class JobStoreFullError(JobStoreError, OSError):
    """No space (or quota) left on the file system holding the job store.

    Also an OSError with the original ``errno``, so code checking for ENOSPC keeps working.
    Writes to the job store are atomic, so what was stored before is unchanged.
    """

    def __init__(self, locator: str, path: str, cause: OSError) -> None:
        OSError.__init__(self, cause.errno, cause.strerror)
        self.message = (
            f"{cause.strerror or 'No space left on device'} while writing '{path}' in job store "
            f"'{locator}'. Free some space on that file system (or move the job store to a larger "
            f"one), then resume the workflow with --restart; nothing stored before was changed."
        )
        self.locator = locator
        self.path = path
        self.filename = path

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> Any:
        return (_rebuild_full_error, (self.locator, self.path, self.errno, self.strerror))


def _rebuild_full_error(locator: str, path: str, number: int, text: str) -> "JobStoreFullError":
    return JobStoreFullError(locator, path, OSError(number, text))


class UnknownJobStoreError(ToilError, RuntimeError):
    """The locator names a job store implementation that does not exist."""

    def __init__(self, scheme: str) -> None:
        super().__init__(f"Unknown job store implementation '{scheme}'")
        self.scheme = scheme


class InvalidJobStoreLocatorError(ToilError, RuntimeError):
    """The locator is neither ``<scheme>:<rest>`` nor a path."""

    def __init__(self, locator: Optional[str] = None) -> None:
        super().__init__("Invalid job store locator syntax.")
        self.locator = locator


class ProxyConnectionError(ToilBaseException):
    """A proxy between Toil and a job store's service could not be reached (upstream's name; a
    BaseException there too, so a plain ``except Exception`` does not swallow it)."""
