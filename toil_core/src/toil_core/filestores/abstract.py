"""AbstractFileStore: the API a running job uses to read and write files.

A file store lives for one job attempt on a worker. ``open(job)`` creates the job's private temp
directory (under ``file_store_dir``, the per-workflow directory of this node) and removes it when
the job ends, whatever the outcome. Global files go to the job store; deletions of global files
are only *recorded* in :attr:`filesToDelete` -- the worker carries them out once the job has
succeeded, so a failed attempt can be retried with its inputs intact.

Writes are synchronous here, so :meth:`startCommit` / :meth:`waitForCommit` are cheap hooks kept
for API compatibility.
"""
from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import shutil
import stat
import sys
import tempfile
from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import (TYPE_CHECKING, Any, Callable, ContextManager, Dict, Iterator, List, Optional, Set, Tuple,
                    Type, Union)

from .file_id import FileID

if TYPE_CHECKING:
    from toil_core.job.description import JobDescription
    from toil_core.jobstores.abstract import AbstractJobStore

logger = logging.getLogger(__name__)

#: Name of the per-node cache directory of a workflow, inside its node workflow directory.
CACHE_DIR_PREFIX = "cache-"


def cache_dir_name(workflowID: str) -> str:
    return f"{CACHE_DIR_PREFIX}{workflowID}"


def resolve_work_dir(config_work_dir: Optional[str] = None) -> str:
    """The node's work directory: TOIL_WORKDIR_OVERRIDE > --workDir > TOIL_WORKDIR > temp dir."""
    for candidate in (os.environ.get("TOIL_WORKDIR_OVERRIDE"), config_work_dir,
                      os.environ.get("TOIL_WORKDIR")):
        if candidate:
            return os.path.abspath(candidate)
    return tempfile.gettempdir()


def local_workflow_dir(workflowID: str, config_work_dir: Optional[str] = None) -> str:
    """Default per-workflow directory on this node (``<workDir>/toil-<workflowID>``)."""
    return os.path.join(resolve_work_dir(config_work_dir), f"toil-{workflowID}")


def remove_tree(path: Optional[str]) -> None:
    """Delete a directory tree, making read-only directories writable as needed."""
    if not path or not os.path.lexists(path):
        return

    def fix_and_retry(func: Callable[..., Any], failed: str, *_: Any) -> None:
        parent = os.path.dirname(failed)
        try:
            os.chmod(parent, stat.S_IMODE(os.stat(parent).st_mode) | stat.S_IRWXU)
            if func in (os.rmdir, os.unlink, os.remove):
                func(failed)
            else:  # listing failed: make it readable and try the whole subtree again
                os.chmod(failed, stat.S_IMODE(os.stat(failed).st_mode) | stat.S_IRWXU)
                shutil.rmtree(failed, ignore_errors=True)
        except FileNotFoundError:
            pass
        except OSError as err:
            logger.warning("Could not remove %s: %s", failed, err)

    if os.path.isdir(path) and not os.path.islink(path):
        if sys.version_info >= (3, 12):
            shutil.rmtree(path, onexc=fix_and_retry)
        else:
            shutil.rmtree(path, onerror=fix_and_retry)
    else:
        os.unlink(path)


def is_executable_mode(mode: int) -> bool:
    return bool(mode & stat.S_IXUSR)


class AbstractFileStore(ABC):
    """Interface used by user code run by Toil to read and write files (see module docstring)."""

    #: The file store classes :meth:`createFileStore` builds, by whether they cache. A subclass
    #: declares its kind with ``class X(AbstractFileStore, caching=...)``; this base class never
    #: names them (the ``toil_core.filestores`` package imports both built-in ones).
    _by_caching: Dict[bool, Type["AbstractFileStore"]] = {}

    def __init_subclass__(cls, caching: Optional[bool] = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if caching is not None:
            AbstractFileStore._by_caching[caching] = cls

    def __init__(self, jobStore: AbstractJobStore, jobDesc: JobDescription, file_store_dir: str,
                 waitForPreviousCommit: Optional[Callable[[], Any]] = None) -> None:
        self.jobStore = jobStore
        self.jobDesc = jobDesc
        #: The per-workflow directory of this node, shared by all jobs of the workflow here.
        self.file_store_dir = os.path.abspath(file_store_dir)
        self.workflow_dir = self.file_store_dir
        self.waitForPreviousCommit = waitForPreviousCommit
        #: This job's private temp directory; set by open().
        self._temp_dir: Optional[str] = None
        #: (the temp dir, its real path + os.sep), for _in_temp_dir.
        self._temp_dir_real: Optional[Tuple[str, str]] = None
        self._is_open = False
        #: Set by the worker from --cleanWorkDir: if True, open() leaves the temp dir behind.
        self.keep_temp_dirs = False
        #: Global files this job asked to delete; the worker deletes them after success.
        self.filesToDelete: Set[str] = set()
        #: Messages from logToMaster(), as {"text": ..., "level": ...}; the worker ships them.
        self.logged_messages: List[Dict[str, Any]] = []
        self.loggingMessages = self.logged_messages  # upstream's name for the same list
        self._accessLog: List[Tuple[str, Optional[str]]] = []
        #: (file ID, local path or None for a stream) of every file the job wrote to the job store.
        self._writeLog: List[Tuple[str, Optional[str]]] = []
        #: File ID -> local paths this job holds for it (reads, and writes from the temp dir).
        self._local_copies: Dict[str, List[str]] = {}
        self.jobName = str(jobDesc) if jobDesc is not None else "job"

    # ------------------------------------------------------------------ construction
    @staticmethod
    def createFileStore(jobStore: AbstractJobStore, jobDesc: JobDescription, file_store_dir: str,
                        waitForPreviousCommit: Optional[Callable[[], Any]] = None,
                        caching: Optional[bool] = False) -> "AbstractFileStore":
        """A CachingFileStore if ``caching`` else a NonCachingFileStore.

        ``caching=None`` asks the job store for its preference (``default_caching()``).
        """
        if caching is None:
            default = getattr(jobStore, "default_caching", None)
            caching = bool(default()) if callable(default) else False
        store_class: Any = AbstractFileStore._by_caching[bool(caching)]
        return store_class(jobStore, jobDesc, file_store_dir, waitForPreviousCommit)

    @staticmethod
    def shutdownFileStore(workflowID: str, config_work_dir: Optional[str],
                          config_coordination_dir: Optional[str]) -> None:
        """Remove this node's cache of the workflow (call once no worker of it runs here)."""
        cache_dir = os.path.join(local_workflow_dir(workflowID, config_work_dir),
                                 cache_dir_name(workflowID))
        AbstractFileStore._by_caching[True].shutdown(cache_dir)

    @classmethod
    def shutdown(cls, shutdown_info: Any) -> None:
        """Remove node-level state of this file store kind; ``shutdown_info`` is a path."""

    # ------------------------------------------------------------------ job lifetime
    @contextmanager
    def open(self, job: Any) -> Iterator[None]:
        """Create the job's temp dir for the duration of the block, then delete it.

        Per-job bookkeeping (local copies, access log) starts afresh, so an instance may be
        reused for chained jobs; ``filesToDelete`` and ``logged_messages`` are left for the
        worker to consume.
        """
        self._local_copies = {}
        self._accessLog = []
        self._writeLog = []
        self._temp_dir = None
        self._is_open = True
        try:
            yield
        finally:
            self._is_open = False
            if self._temp_dir is not None and not self.keep_temp_dirs:
                remove_tree(self._temp_dir)
            self._temp_dir = None

    @property
    def localTempDir(self) -> Optional[str]:
        """The job's temp dir, made on first use (most small jobs never need one)."""
        if self._temp_dir is None and self._is_open:
            os.makedirs(self.file_store_dir, exist_ok=True)
            self._temp_dir = os.path.abspath(tempfile.mkdtemp(prefix="job-", dir=self.file_store_dir))
        return self._temp_dir

    def _require_open(self) -> str:
        path = self.localTempDir
        if path is None:
            raise RuntimeError("Local temp files are only available inside the file store's open(job)")
        return path

    def _job_id(self) -> Optional[str]:
        return getattr(self.jobDesc, "jobStoreID", None)

    def _mutable_by_default(self) -> bool:
        """``--readGlobalFileMutableByDefault`` of the workflow (False for a store without one)."""
        config = self.jobStore.config
        return config is not None and bool(config.readGlobalFileMutableByDefault)

    # ------------------------------------------------------------------ local temp files
    def getLocalTempDir(self) -> str:
        """A new directory inside the job's temp dir, deleted when the job ends."""
        return os.path.abspath(tempfile.mkdtemp(dir=self._require_open()))

    def getLocalTempFile(self, suffix: Optional[str] = None, prefix: Optional[str] = None) -> str:
        """A new empty file inside the job's temp dir, deleted when the job ends."""
        handle, path = tempfile.mkstemp(suffix=".tmp" if suffix is None else suffix,
                                        prefix="tmp" if prefix is None else prefix,
                                        dir=self._require_open())
        os.close(handle)
        return os.path.abspath(path)

    def getLocalTempFileName(self, suffix: Optional[str] = None, prefix: Optional[str] = None) -> str:
        """An unused path inside the job's temp dir (the file is not created)."""
        path = self.getLocalTempFile(suffix=suffix, prefix=prefix)
        os.unlink(path)
        return path

    def _in_temp_dir(self, path: str) -> bool:
        if self._temp_dir is None:
            return False
        # The temp dir's real path is resolved once per job (it is made by mkdtemp and never
        # replaced while the job runs); ``path`` is resolved each time, so a symlink out of the temp
        # dir is never mistaken for a file in it.
        if self._temp_dir_real is None or self._temp_dir_real[0] != self._temp_dir:
            self._temp_dir_real = (self._temp_dir, os.path.realpath(self._temp_dir) + os.sep)
        return os.path.realpath(path).startswith(self._temp_dir_real[1])

    def _default_read_path(self, fileStoreID: str) -> str:
        """A fresh path in the temp dir named after the file ID (keeps the ID's basename; for an
        encrypted store, whose IDs hide it, the name the file was written under)."""
        digest = hashlib.sha1(str(fileStoreID).encode("utf-8")).hexdigest()[:12]
        named = getattr(self.jobStore, "original_file_name", None)  # (stand-in stores may lack it)
        name = named(str(fileStoreID)) if callable(named) else None
        base = re.sub(r"[^A-Za-z0-9._-]", "_", name or os.path.basename(str(fileStoreID).rstrip("/")))[-80:]
        stem = f"{digest}-{base or 'file'}"
        root = self._require_open()
        path, counter = os.path.join(root, stem), 1
        while os.path.lexists(path):
            path = os.path.join(root, f"{digest}-{counter}-{base or 'file'}")
            counter += 1
        return path

    def _read_destination(self, fileStoreID: str, userPath: Optional[str]) -> str:
        """Absolute destination of a read; an existing file at ``userPath`` is replaced."""
        if userPath is None:
            return self._default_read_path(fileStoreID)
        dest = os.path.abspath(userPath)
        if os.path.isdir(dest) and not os.path.islink(dest):
            raise IsADirectoryError(errno.EISDIR, "Cannot read a global file onto a directory", dest)
        if os.path.lexists(dest):
            os.unlink(dest)
        return dest

    def _record_local(self, fileStoreID: str, path: str) -> None:
        paths = self._local_copies.setdefault(str(fileStoreID), [])
        if path not in paths:
            paths.append(path)

    def _mutable(self, mutable: Optional[bool]) -> bool:
        return bool(mutable) or self._mutable_by_default()

    # ------------------------------------------------------------------ global files
    def _upload(self, localFileName: str, cleanup: bool, executable: bool) -> Tuple[FileID, str]:
        """Write a local file to the job store; return its FileID and absolute path."""
        path = os.path.abspath(localFileName)
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, "Only regular files can be written", path)
        if executable and not is_executable_mode(st.st_mode):
            mode = stat.S_IMODE(st.st_mode)
            os.chmod(path, mode | ((mode & 0o444) >> 2) | stat.S_IXUSR)
        job_id = self._job_id() if cleanup else None
        file_id = self.jobStore.write_file(path, job_id=job_id, cleanup=cleanup)
        self._writeLog.append((str(file_id), path))
        return FileID(str(file_id), st.st_size, executable or is_executable_mode(st.st_mode)), path

    @abstractmethod
    def writeGlobalFile(self, localFileName: str, cleanup: bool = False,
                        executable: bool = False) -> FileID:
        """Upload a local file to the job store and return its FileID.

        ``cleanup=True`` ties the file to this job: it is deleted with the job (after the job and
        its successors have run). The executable bit of the local file is preserved;
        ``executable=True`` forces it.
        """

    def writeGlobalFileStream(self, cleanup: bool = False, basename: Optional[str] = None,
                              encoding: Optional[str] = None,
                              errors: Optional[str] = None) -> ContextManager[Tuple[Any, FileID]]:
        """A context manager yielding ``(handle, fileID)``; ``fileID.size`` is set when the block
        exits."""
        job_id = self._job_id() if cleanup else None
        return _GlobalStreamWrite(self, self.jobStore.write_file_stream(
            job_id=job_id, cleanup=cleanup, basename=basename, encoding=encoding, errors=errors))

    def logAccess(self, fileStoreID: Union[FileID, str], destination: Optional[str] = None) -> None:
        """Record that the job read a file (reported if the job fails)."""
        self._accessLog.append((str(fileStoreID), destination))

    def access_log_lines(self) -> List[str]:
        """Lines naming the files this job read and wrote through the file store, for its failure
        report (a user greps the failed job's log for a file name); [] if none."""
        if not self._accessLog and not self._writeLog:
            return []
        lines = ["Failed job accessed files:"]
        for file_id, destination in self._accessLog:
            if destination is None:
                lines.append(f"Streamed file '{file_id}'")
            else:
                lines.append(f"Downloaded file '{file_id}' to path '{destination}'")
        for file_id, source in self._writeLog:
            if source is None:
                lines.append(f"Wrote file '{file_id}' from a stream")
            else:
                lines.append(f"Wrote file '{file_id}' from path '{source}'")
        return lines

    @abstractmethod
    def readGlobalFile(self, fileStoreID: Union[FileID, str], userPath: Optional[str] = None,
                       cache: bool = True, mutable: bool = False, symlink: bool = False) -> str:
        """Make a global file available locally and return its absolute path.

        Without ``userPath`` the file goes into the job's temp dir under a name derived from
        the ID. ``mutable=True`` (or ``readGlobalFileMutableByDefault``) gives a private
        writable copy; otherwise the result may be a read-only link. Don't delete the result
        yourself; use :meth:`deleteLocalFile`.
        """

    def readGlobalFileStream(self, fileStoreID: Union[FileID, str], encoding: Optional[str] = None,
                             errors: Optional[str] = None) -> ContextManager[Any]:
        """A context manager yielding a readable handle (binary unless ``encoding``) on a global
        file: the job store's own (no wrapper of ours around it: small files are dominated by
        the calls around the open and the read)."""
        self.logAccess(fileStoreID)
        return self.jobStore.read_file_stream(str(fileStoreID), encoding=encoding, errors=errors)

    def getGlobalFileSize(self, fileStoreID: Union[FileID, str]) -> int:
        """Size in bytes: ``FileID.size`` if known, else asked of the job store."""
        size = getattr(fileStoreID, "size", None)
        if size is None:
            size = self.jobStore.get_file_size(str(fileStoreID))
        return int(size)

    def deleteLocalFile(self, fileStoreID: Union[FileID, str]) -> None:
        """Delete this job's local copies of a file; OSError(ENOENT) if it has none."""
        paths = self._local_copies.pop(str(fileStoreID), None)
        if not paths:
            raise OSError(errno.ENOENT, f"No local copy of file '{fileStoreID}' to delete")
        for path in paths:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    def deleteGlobalFile(self, fileStoreID: Union[FileID, str]) -> None:
        """Delete local copies now; the worker deletes the global file after the job succeeds."""
        try:
            self.deleteLocalFile(fileStoreID)
        except OSError as err:
            if err.errno != errno.ENOENT:
                raise
        self.filesToDelete.add(str(fileStoreID))

    # ------------------------------------------------------------------ import / export
    def importFile(self, srcUrl: str, sharedFileName: Optional[str] = None) -> Optional[FileID]:
        return self.import_file(srcUrl, sharedFileName)

    def import_file(self, src_uri: str, shared_file_name: Optional[str] = None) -> Optional[FileID]:
        """Import a URL into the job store (as a shared file if ``shared_file_name``)."""
        result = self.jobStore.import_file(src_uri, shared_file_name=shared_file_name)
        if result is None or isinstance(result, FileID):
            return result
        return FileID(str(result), self.jobStore.get_file_size(str(result)))

    def exportFile(self, jobStoreFileID: Union[FileID, str], dstUrl: str) -> None:
        self.export_file(jobStoreFileID, dstUrl)

    def export_file(self, file_id: Union[FileID, str], dst_uri: str) -> None:
        """Copy a global file to a URL (executable iff it was written executable)."""
        self.jobStore.export_file(file_id, dst_uri)

    # ------------------------------------------------------------------ logging
    def logToMaster(self, text: str, level: int = logging.INFO) -> None:
        """Log ``text`` on the worker and queue it for the leader's log."""
        logger.log(level, "LOG-TO-MASTER: %s", text)
        self.logged_messages.append({"text": text, "level": level})

    # ------------------------------------------------------------------ commits
    def startCommit(self, jobState: bool = False) -> None:
        """Writes are synchronous, so there is nothing left to commit but ordering."""
        if self.waitForPreviousCommit is not None:
            self.waitForPreviousCommit()

    def waitForCommit(self) -> bool:
        return True


class _GlobalStreamWrite:
    """The context manager of :meth:`AbstractFileStore.writeGlobalFileStream` around the job
    store's ``write_file_stream``: a class rather than a generator (each generator layer costs
    about as much as a system call of a small write). The written size comes from the job
    store's context manager when it knows it (``size``), else from the store."""

    __slots__ = ("_file_store", "_inner", "_result")

    def __init__(self, file_store: AbstractFileStore, inner: Any) -> None:
        self._file_store = file_store
        self._inner = inner
        self._result: Optional[FileID] = None

    def __enter__(self) -> Tuple[Any, FileID]:
        handle, file_id = self._inner.__enter__()
        file_id = str(file_id)
        self._result = FileID(file_id, 0)
        self._file_store._writeLog.append((file_id, None))
        return handle, self._result

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> Optional[bool]:
        suppressed = self._inner.__exit__(exc_type, exc, tb)
        if exc_type is None and self._result is not None:
            size = getattr(self._inner, "size", None)
            self._result.size = size if size is not None else \
                self._file_store.jobStore.get_file_size(str(self._result))
        return suppressed
