"""FileJobStore: a job store in a directory of a local (or shared) file system.

Layout under the job store directory (directories 0700, files 0600, or 0700 when executable)::

    .toil-job-store                   marker, written first; destroy() refuses other directories
    jobs/<ff>/<job id>                one JSON job description per job
    files/<ff>/<token>-<basename>     stored files; file ID = "<ff>/<token>-<basename>"
    files/job/<ff>/<job id>/<token>-<basename>
                                      files written with cleanup=True for a job; file ID =
                                      "job/<ff>/<job id>/<token>-<basename>"; delete_job removes them
    shared/<name>                     shared files (config.pickle, rootJobStoreID, pid.log, ...)
    shared/leader.lock                the running leader's lock (see acquire_leader_lock)
    logs/new/<stamp>                  stats/logging blobs not yet passed to read_logs
    logs/read/<stamp>                 blobs already passed to read_logs (for read_all=True)
    tmp/                              files being written; renamed into place when complete
    encryption.json                   only in an encrypted store: format and key fingerprint (clear)

In an encrypted store no path shows a name the user chose: ``<basename>`` is the sealed name
(see :mod:`toil_core.jobstores.sealed_names`), shared files are ``shared/<sealed name>`` (stores
of encryption format 1, made before, keep clear shared names), and job IDs leave out the job's
name (``<20 hex digits>``).

``<ff>`` fans the entries out over at most 256 sub-directories: the last two characters of a
job ID (random hex), the first two of a file token. Fan-out directories are created on first
use, so no call ever scans a directory except ``jobs()``, ``read_logs()`` and ``destroy()``.
A file ID is its path relative to ``files/``, so finding a file costs nothing; it ends with
the original basename (``<token>`` is 20 random hex digits). Creating an inode is the dominant
cost of every write on some file systems, so each stored file is exactly one inode.

Crash safety: every job, file, shared file and log blob is written to ``tmp/`` (same file
system) and published with one ``os.replace``/``rename``, so a process killed at any instant
leaves either the old or the new content, never a partial one. Leftovers in ``tmp/`` are harmless.
A write that runs out of space raises :class:`JobStoreFullError` naming the file and the fix.

Encryption: a store created with a key (``--sseKey`` or ``--clientSideEncryption``) seals every
job, file, shared file and log blob (see :mod:`toil_core.jobstores.encryption`); only the marker,
the leader lock and ``encryption.json`` stay in clear.

The class is put together from parts with one job each: the write path (``_file_layout``), jobs
(``_file_jobs``), stored files (``_file_files``), import and export (``_file_transfer``), log blobs
(``_log_blobs``) and encryption (``_sealed_io``); this module holds its lifecycle and shared files.

Safety: :meth:`resume` refuses a job store that another user owns before unpickling anything
from it, and :meth:`acquire_leader_lock` keeps a second leader off a store in use.
"""
from __future__ import annotations

import logging
import os
import urllib.parse
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator, Optional

from . import url_access as _url
from toil_core.lib.io import remove_trees

from ._file_files import FileFilesMixin
from ._file_jobs import FileJobsMixin
from ._file_layout import _NO_SPACE, FileLayoutMixin
from ._file_transfer import NEW_FILE as _NEW_FILE
from ._file_transfer import FileTransferMixin
from ._leader_lock import LeaderLock, lock_leader_file
from ._log_blobs import LogBlobsMixin
from ._sealed_io import SealedIOMixin, translating_tamper
from .abstract import CONFIG_FILE, AbstractJobStore
from .encryption import ENCRYPTION_FILE, load_cipher, metadata_for, wants_encryption
from .errors import (
    JobStoreExistsException,
    JobStoreFullError,
    JobStoreLocationError,
    NoSuchFileException,
    NoSuchJobStoreException,
    NotAJobStoreError,
    UntrustedJobStoreError,
)
from .sealed_names import NameSealer

__all__ = ["FileJobStore", "LeaderLock"]

logger = logging.getLogger(__name__)

MARKER = ".toil-job-store"
LEADER_LOCK_FILE = "leader.lock"


class FileJobStore(FileLayoutMixin, FileFilesMixin, FileJobsMixin, FileTransferMixin, LogBlobsMixin,
                   SealedIOMixin, AbstractJobStore):
    """A job store in a directory; on a shared file system it serves distributed batch systems.

    :param path: the job store directory (a ``file:`` prefix is accepted and stripped).
    :param fanOut: accepted for upstream compatibility; the fan-out here is fixed (256).
    """

    #: Kept for upstream compatibility; this layout does not use them.
    JOB_DIR_PREFIX = "instance-"
    JOB_NAME_DIR_PREFIX = "kind-"
    validDirs = "abcdefghijklmnopqrstuvwxyz0123456789"
    validDirsSet = frozenset(validDirs)
    #: Chunk size of user-space copies.
    BUFFER_SIZE = 10 * 1024 * 1024

    def __init__(self, path: str, fanOut: int = 1000) -> None:
        if path.startswith("file://"):
            path = urllib.parse.unquote(urllib.parse.urlparse(path).path)
        elif path.startswith("file:"):
            path = path[len("file:"):]
        super().__init__(path)
        self.fanOut = fanOut
        #: Absolute path of the job store directory (symlinks in it are not resolved).
        self.jobStoreDir = os.path.abspath(path)
        root = self.jobStoreDir + os.sep
        self._jobs = root + "jobs" + os.sep
        self._files = root + "files" + os.sep
        self._job_files = self._files + "job" + os.sep
        self._shared = root + "shared" + os.sep
        self._logs_new = root + "logs" + os.sep + "new" + os.sep
        self._logs_read = root + "logs" + os.sep + "read" + os.sep
        self._tmp = root + "tmp" + os.sep
        # Directories that must already exist; _ensure_dir never recreates them (after destroy).
        self._base_dirs = frozenset(p.rstrip(os.sep) for p in (
            self.jobStoreDir, self._jobs, self._files, self._job_files, self._shared, self._tmp,
            self._logs_new, self._logs_read))
        self._fix_dir_mode = bool(_url.current_umask() & 0o700)
        #: Set when the store is encrypted (see :mod:`toil_core.jobstores.encryption`).
        self._cipher = None
        self._key_path: Optional[str] = None
        #: Set with the cipher: seals file names and (format 2 stores) shared file names.
        self._names: Optional[NameSealer] = None
        self._seal_shared = False

    def __repr__(self) -> str:
        return f"FileJobStore({self.jobStoreDir!r})"

    # ---------------------------------------------------------------------- lifecycle
    def initialize(self, config: Any) -> None:
        # A bad key fails before anything is created.
        cipher = load_cipher(config.sseKey) if wants_encryption(config, self) else None
        root = self.jobStoreDir
        parent = os.path.dirname(root)
        where = "Choose a job store path in a directory you can write to."
        # Missing parent directories are created (and said so); a start that fails removes them
        # again with the store (see destroy), so a failed start leaves no empty folders behind.
        missing = []
        probe = parent
        while probe and not os.path.lexists(probe):
            missing.append(probe)
            probe = os.path.dirname(probe) if os.path.dirname(probe) != probe else ""
        try:
            os.makedirs(parent, exist_ok=True)
        except OSError as err:
            self._created_parents = [p for p in missing if os.path.isdir(p)]
            self._remove_created_parents()
            raise JobStoreLocationError(
                self.locator, f"its parent directory '{parent}' cannot be created ({err.strerror})",
                where) from err
        self._created_parents = missing
        if missing:
            logger.info("Created the missing parent directories of the job store: %s",
                        ", ".join(reversed(missing)))
        try:
            self._mkdir(root)
        except FileExistsError:
            if not os.path.isdir(root):
                raise NotAJobStoreError(self.locator, root, is_file=True) from None
            if not os.path.exists(os.path.join(root, MARKER)) and os.listdir(root):
                raise NotAJobStoreError(self.locator, root) from None
            raise JobStoreExistsException(self.locator) from None
        except OSError as err:
            self._remove_created_parents()
            if err.errno in _NO_SPACE:
                raise JobStoreFullError(self.locator, root, err) from err
            raise JobStoreLocationError(
                self.locator, f"the directory '{root}' cannot be created ({err.strerror})",
                where) from err
        try:
            os.close(os.open(os.path.join(self.jobStoreDir, MARKER), _NEW_FILE, 0o600))
            for path in (self._jobs, self._files, self._job_files, self._shared, self._tmp,
                         os.path.dirname(self._logs_new.rstrip(os.sep)), self._logs_new,
                         self._logs_read):
                self._mkdir(path)
            if cipher is not None:
                self._write_bytes(metadata_for(cipher), os.path.join(self.jobStoreDir, ENCRYPTION_FILE))
                self._use_cipher(cipher, seal_shared=True)
                self._key_path = os.path.abspath(config.sseKey)
            # The config is written last: a store without it counts as never created.
            super().initialize(config)
        except BaseException:
            self.destroy()  # e.g. an unpicklable config: leave nothing half-made behind
            raise

    def resume(self) -> None:
        """Load the config, after checking that the store is ours (see :meth:`check_owner`)."""
        if not os.path.isdir(self.jobStoreDir):
            raise NoSuchJobStoreException(self.locator)
        self.check_owner()
        self._open_encryption()
        if self._seal_shared:
            self.check_owner()  # again: the config's path is only known with the key
        super().resume()

    def shared_file_location(self, shared_file_name: str) -> str:
        return self._shared_path(shared_file_name)

    def _shared_path(self, shared_file_name: str) -> str:
        """Where the shared file is kept (under its sealed name in an encrypted store)."""
        if self._seal_shared:
            assert self._names is not None
            return self._shared + self._names.seal(shared_file_name)
        return self._shared + shared_file_name

    def check_owner(self) -> None:
        """Refuse (:class:`UntrustedJobStoreError`) a store that another user owns.

        Loading a job store unpickles its files, which can run any code, so the store directory,
        its layout directories and the config must belong to the user running Toil. This runs
        before anything is read from the store.
        """
        geteuid = getattr(os, "geteuid", None)
        if geteuid is None:  # pragma: no cover - not POSIX
            return
        me = geteuid()
        for path in (self.jobStoreDir, self._shared.rstrip(os.sep), self._shared_path(CONFIG_FILE),
                     self._jobs.rstrip(os.sep), self._files.rstrip(os.sep)):
            try:
                owners = {os.lstat(path).st_uid, os.stat(path).st_uid}
            except FileNotFoundError:
                continue
            for owner in owners:
                if owner != me:
                    raise UntrustedJobStoreError(self.locator, path, owner, me, self.jobStoreDir)

    def acquire_leader_lock(self) -> Optional[LeaderLock]:
        """Take the store's leader lock (``shared/leader.lock``), or raise
        :class:`JobStoreInUseError` if a live leader holds it; see :func:`lock_leader_file`."""
        return lock_leader_file(self._shared + LEADER_LOCK_FILE, self.locator)

    def destroy(self) -> None:
        """Delete the job store directory. Idempotent, and safe to rerun after a crash: the
        marker goes last. A non-empty directory without the marker is left alone."""
        root = self.jobStoreDir
        if not os.path.isdir(root):
            self._remove_created_parents()
            return
        marker = os.path.join(root, MARKER)
        if not os.path.exists(marker):
            try:
                os.rmdir(root)  # an empty directory (initialize interrupted at once)
                self._remove_created_parents()
                return
            except FileNotFoundError:
                return
            except OSError:
                raise RuntimeError(f"Refusing to delete '{root}': it is not empty and does not "
                                   f"look like a Toil job store (no {MARKER} file).") from None

        with os.scandir(root) as entries:
            names = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries if e.name != MARKER]
        for name, is_dir in names:
            if not is_dir:
                self._discard(os.path.join(root, name))
        # Directories with many rmdirs at a time: each may wait for the disk (see remove_trees).
        remove_trees([os.path.join(root, name) for name, is_dir in names if is_dir])
        self._discard(marker)
        try:
            os.rmdir(root)
        except FileNotFoundError:
            pass
        self._remove_created_parents()

    def _remove_created_parents(self) -> None:
        """Remove the parent directories :meth:`initialize` created, deepest first, while empty."""
        for path in getattr(self, "_created_parents", None) or []:
            try:
                os.rmdir(path)
            except OSError:
                break  # not empty (or gone): it and its parents stay
        self._created_parents = []

    def default_caching(self) -> bool:
        return False

    def get_shared_public_url(self, shared_file_name: str) -> str:
        self._check_shared_name(shared_file_name)
        path = self._shared_path(shared_file_name)
        if not os.path.isfile(path):
            raise NoSuchFileException(shared_file_name)
        return Path(path).as_uri()

    # ---------------------------------------------------------------------- shared files
    @contextmanager
    def write_shared_file_stream(self, shared_file_name: str, encrypted: Optional[bool] = None,
                                 encoding: Optional[str] = None,
                                 errors: Optional[str] = None) -> Iterator[IO[Any]]:
        self._check_shared_name(shared_file_name)
        with self._atomic_stream(self._shared_path(shared_file_name), encoding, errors) as handle:
            yield handle

    @contextmanager
    def read_shared_file_stream(self, shared_file_name: str, encoding: Optional[str] = None,
                                errors: Optional[str] = None) -> Iterator[IO[Any]]:
        self._check_shared_name(shared_file_name)
        path = self._shared_path(shared_file_name)
        try:
            handle = self._open_read(path, encoding, errors)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NoSuchFileException(shared_file_name) from None
        with translating_tamper(self.locator), handle:
            yield handle
