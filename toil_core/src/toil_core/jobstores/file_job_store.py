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

Safety: :meth:`resume` refuses a job store that another user owns before unpickling anything
from it, and :meth:`acquire_leader_lock` keeps a second leader off a store in use.
"""
from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import stat
import urllib.parse
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Optional, Tuple, Union

from ..job.description import JobDescription
from . import url_access as _url
from ._file_transfer import NEW_FILE as _NEW_FILE
from ._file_transfer import FileTransferMixin, copy_fd, copy_into, file_basename, safe_job_name
from ._leader_lock import LeaderLock, lock_leader_file
from ._log_blobs import LogBlobsMixin
from ._sealed_io import SealedIOMixin, translating_tamper
from .abstract import CONFIG_FILE, AbstractJobStore
from .sealed_names import NameSealer
from .encryption import (
    ENCRYPTION_FILE,
    load_cipher,
    metadata_for,
    wants_encryption,
)
from .errors import (
    CorruptJobError,
    JobStoreExistsException,
    JobStoreFullError,
    JobStoreLocationError,
    NoSuchFileException,
    NoSuchJobException,
    NoSuchJobStoreException,
    NotAJobStoreError,
    UntrustedJobStoreError,
)

__all__ = ["FileJobStore", "LeaderLock"]

logger = logging.getLogger(__name__)

MARKER = ".toil-job-store"
LEADER_LOCK_FILE = "leader.lock"
_PARSE_ERRORS = (json.JSONDecodeError, UnicodeDecodeError, TypeError, KeyError, AttributeError)
#: errno values that mean "the file system is full" (EDQUOT: over quota).
_NO_SPACE = frozenset(e for e in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if e is not None)

class FileJobStore(FileTransferMixin, LogBlobsMixin, SealedIOMixin, AbstractJobStore):
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

    # ---------------------------------------------------------------------- low-level helpers
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

    def _new_tmp(self, mode: int = 0o600) -> Tuple[str, int]:
        """A new temporary file in ``tmp/``: ``(path, open write descriptor)``."""
        path = self._tmp + os.urandom(12).hex()
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

    def _write_bytes(self, data: bytes, dest: str) -> None:
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
                self._replace(tmp, dest)
        except BaseException:
            self._discard(tmp)
            raise

    @contextmanager
    def _atomic_stream(self, dest: Union[str, Callable[[str], None]], encoding: Optional[str],
                       errors: Optional[str], mode: int = 0o600,
                       label: Optional[str] = None) -> Iterator[IO[Any]]:
        """Yield a handle on a temporary file; publish it when the block exits cleanly.

        ``dest`` is the final path, or a function called with the temporary path to publish it
        (then ``label`` names the final path in errors). Running out of space anywhere in the
        block raises :class:`JobStoreFullError`.
        """
        tmp, fd = self._new_tmp(mode)
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
        try:
            with self._space_checked(where):
                with handle:
                    yield handle
                if callable(dest):
                    dest(tmp)
                else:
                    self._replace(tmp, dest)
        except BaseException:
            self._discard(tmp)
            raise

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

        def ignore_missing(function: Any, path: str, excinfo: Any) -> None:
            if not isinstance(excinfo[1], FileNotFoundError):
                raise excinfo[1]

        with os.scandir(root) as entries:
            names = [e.name for e in entries if e.name != MARKER]
        for name in names:
            path = os.path.join(root, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, onerror=ignore_missing)
            else:
                self._discard(path)
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

    # ---------------------------------------------------------------------- jobs
    def _job_path(self, job_id: str) -> str:
        # IDs are file names; the last two characters name the fan-out directory.
        if not job_id or "/" in job_id or "\0" in job_id or job_id[0] == "." or job_id[-2:] == "..":
            raise NoSuchJobException(job_id)
        return self._jobs + job_id[-2:] + os.sep + job_id

    def assign_job_id(self, job_description: JobDescription) -> None:
        if self._cipher is not None:  # the job's name is the user's: only in the sealed description
            job_description.jobStoreID = os.urandom(10).hex()
            return
        name = safe_job_name(job_description.jobName or "job")
        job_description.jobStoreID = f"{name}-{os.urandom(10).hex()}"

    def create_job(self, job_description: JobDescription) -> JobDescription:
        if job_description.jobStoreID is None:
            self.assign_job_id(job_description)
        job_id = job_description.jobStoreID
        assert job_id is not None  # assign_job_id sets it
        self._write_bytes(job_description.to_bytes(), self._job_path(job_id))
        return job_description

    def job_exists(self, job_id: str) -> bool:
        try:
            return os.path.isfile(self._job_path(job_id))
        except NoSuchJobException:
            return False

    def load_job(self, job_id: str) -> JobDescription:
        path = self._job_path(job_id)
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NoSuchJobException(job_id) from None
        if self._cipher is not None:
            raw = self._unseal_bytes(raw, path)
        try:
            desc = JobDescription.from_bytes(raw)
        except _PARSE_ERRORS as err:
            raise CorruptJobError(job_id, path, err, self.locator) from err
        if desc.jobStoreID != job_id:
            raise CorruptJobError(job_id, path, f"it describes job '{desc.jobStoreID}'", self.locator)
        return desc

    def update_job(self, job_description: JobDescription) -> None:
        """Atomically replace the stored description.

        :raises NoSuchJobException: if the job was never created or has been deleted (so a late
            update cannot resurrect a deleted job).
        """
        job_id = job_description.jobStoreID
        path = self._job_path(job_id)  # type: ignore[arg-type]
        if not os.path.isfile(path):
            raise NoSuchJobException(job_id)
        job_description.version += 1
        try:
            self._write_bytes(job_description.to_bytes(), path)
        except BaseException:
            job_description.version -= 1
            raise

    def delete_job(self, job_id: str) -> None:
        try:
            path = self._job_path(job_id)
        except NoSuchJobException:
            return
        # The job's cleanup files go first: a crash in between leaves the (finished) job
        # behind, to be deleted again, rather than files nobody will ever delete.
        try:
            shutil.rmtree(self._job_files + job_id[-2:] + os.sep + job_id)
        except FileNotFoundError:
            pass
        self._discard(path)

    def jobs(self) -> Iterator[JobDescription]:
        try:
            fans = sorted(os.listdir(self._jobs))
        except FileNotFoundError:
            return
        for fan in fans:
            try:
                names = sorted(os.listdir(self._jobs + fan))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for name in names:
                try:
                    yield self.load_job(name)
                except NoSuchJobException:
                    continue  # deleted while we iterate

    def job_file_owners(self) -> Iterator[str]:
        """IDs that files written with ``cleanup=True`` belong to; used by ``--restart`` to delete
        files nothing owns. An owner need not be a job: workers write a job attempt's files for
        an owner ID of their own (``toil_core.job.attempt_files``) and ``delete_job`` of that
        ID deletes them; stores with this method promise that."""
        for fan in self._listdir(self._job_files):
            yield from self._listdir(self._job_files + fan)

    def discard_temporary_files(self) -> int:
        """Delete what writers killed mid-write left in ``tmp/``; returns how many.

        Only when no other process uses the store (``--restart`` before any job runs): a live
        writer would lose its write.
        """
        names = self._listdir(self._tmp)
        for name in names:
            self._discard(self._tmp + name)
        return len(names)

    # ---------------------------------------------------------------------- files
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

    @contextmanager
    def write_file_stream(self, job_id: Optional[str] = None, cleanup: bool = False,
                          basename: Optional[str] = None, encoding: Optional[str] = None,
                          errors: Optional[str] = None) -> Iterator[Tuple[IO[Any], str]]:
        file_id, dest = self._new_file_id(job_id, cleanup, basename)
        with self._atomic_stream(lambda tmp: self._publish_new(tmp, dest), encoding, errors,
                                 label=dest) as handle:
            yield handle, file_id

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

    @contextmanager
    def read_file_stream(self, file_id: str, encoding: Optional[str] = None,
                         errors: Optional[str] = None) -> Iterator[IO[Any]]:
        try:
            path = self._file_path(file_id)
        except NoSuchFileException:
            raise self._missing(file_id) from None
        try:
            handle = self._open_read(path, encoding, errors)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise self._missing(file_id) from None
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

    @staticmethod
    def _listdir(path: str) -> list:
        try:
            return sorted(os.listdir(path))
        except FileNotFoundError:
            return []

