"""The worker: load one job, run it with a file store, save what it made, chain on.

A worker is started by a batch system for one job (``_toil_worker JOBNAME LOCATOR JOBID`` or,
on this machine, a fork of a warm process that runs :func:`run_worker` directly). After the job
succeeds it stores the job's new successors and return value, then marks the job finished in one
atomic description update (or deletes the description of a leaf job). If the next job is the only
thing that can run next and fits in this worker's resources, it runs here too (chaining).

Files an attempt creates that belong to no job belong to the attempt until it is recorded
finished, so a failed or killed attempt leaves none behind (see :mod:`attempt_files`).

Exit codes: 0 success; 1 the job failed and the failure (log, try count) is recorded in its
description; anything else means the worker died before it could record anything.
"""
from __future__ import annotations

import json
import logging
import os
import resource as _resource
import sys
import tempfile
import time
import traceback
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from toil_core.common.workdirs import get_local_workflow_dir
from toil_core.filestores.abstract import AbstractFileStore
from toil_core.filestores.deferred import DeferredFunctionManager
from toil_core.job.attempt_files import attempt_scoped, begin_attempt, supports_scoping
from toil_core.job.commit import EXIT_OK, commit_finished_job, job_exit_code, record_failure
from toil_core.job.description import JOB, SERVICE, JobDescription
from toil_core.job.saving import load_job_body
from toil_core.lib.error_report import debug_requested, report
from toil_core.resource import load_user_module

if TYPE_CHECKING:
    from toil_core.common.config import Config
    from toil_core.jobstores.abstract import AbstractJobStore

logger = logging.getLogger(__name__)


_workflow_dirs: Dict[Any, str] = {}
#: (workflow directory, process ID) pairs whose directory this process found or made: a batch of
#: jobs in one forked process checks once, a fork of a process that checked checks again.
_checked_dirs: set = set()


def workflow_dir(config: Config) -> str:
    """This node's directory for the workflow (job temp dirs, cache, deferred functions).

    Remembered per process: forked workers inherit the answer instead of recomputing it.
    """
    workflow_id = config.workflowID
    if workflow_id is None:
        raise RuntimeError("The workflow's config has no workflow ID: the job store it came from was "
                           "never initialized.")
    key = (workflow_id, config.workDir)
    path = _workflow_dirs.get(key)
    pid = os.getpid()
    if path is not None and (path, pid) in _checked_dirs:
        return path
    if path is None or not os.path.isdir(path):
        path = _workflow_dirs[key] = get_local_workflow_dir(workflow_id, config.workDir)
    _checked_dirs.add((path, pid))
    return path


def _cpu_seconds() -> float:
    """User + system CPU of this process and its finished children."""
    own = _resource.getrusage(_resource.RUSAGE_SELF)
    kids = _resource.getrusage(_resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _max_rss() -> int:
    return _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss


def chain_target(job_store: AbstractJobStore, desc: JobDescription, config: Config) -> Optional[JobDescription]:
    """The single next job that may run in this worker right after ``desc``, if any."""
    if config.disableChaining or desc.services or desc.checkpoint:
        return None
    phase = desc.children if desc.children else desc.followOns
    if len(phase) != 1:
        return None
    try:
        successor = job_store.load_job(phase[0])
    except Exception:
        return None
    if (
        successor.body_id is None
        or successor.kind != JOB
        or successor.predecessorNumber != 1
        or successor.services
        or successor.checkpoint
        or successor.remainingTryCount <= 0
        or successor.memory > desc.memory
        or successor.cores > desc.cores
        or successor.disk > desc.disk
        or successor.preemptible != desc.preemptible
        or successor.accelerators != desc.accelerators
    ):
        return None
    return successor


class _OutputCapture:
    """Sends this process's stdout/stderr (file descriptors 1 and 2) to an anonymous file.

    An in-memory file (memfd) costs no file system operations; where it is unavailable a
    real temporary file is used.
    """

    def __init__(self, directory: str) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        self._saved = (os.dup(1), os.dup(2))
        try:
            fd = os.memfd_create("toil-worker-log")
        except (AttributeError, OSError):
            fd, path = tempfile.mkstemp(prefix="worker_log", suffix=".txt", dir=directory)
            os.unlink(path)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        self.fd = fd

    def read(self, limit: int) -> bytes:
        sys.stdout.flush()
        sys.stderr.flush()
        size = os.fstat(self.fd).st_size
        if limit > 0 and size > limit:
            return os.pread(self.fd, limit, size - limit)
        if limit < 0 and size > -limit:
            return os.pread(self.fd, -limit, 0)
        return os.pread(self.fd, size, 0)

    def restore(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(self._saved[0], 1)
        os.dup2(self._saved[1], 2)
        for fd in self._saved + (self.fd,):
            os.close(fd)


class Worker:
    """Runs a job (and the jobs chained after it) for one batch-system job."""

    def __init__(
        self, job_store: AbstractJobStore, job_id: str, capture_output: bool = True, load_module: bool = True
    ) -> None:
        self.job_store = job_store
        self.load_module = load_module
        self._current_id = job_id
        self.config = job_store.config
        self.job_id = job_id
        self.capture_output = capture_output and not self.config.disableWorkerOutputCapture
        self.node_dir = workflow_dir(self.config)
        self.messages: List[Dict[str, Any]] = []
        self.job_stats: List[Dict[str, Any]] = []
        #: (jobName, jobStoreID) of every job this worker ran, in order (a chain).
        self.ran: List[List[str]] = []
        #: Output of a successful worker, sent to the leader with --writeLogsFromAllJobs or at DEBUG.
        self.success_log: Optional[str] = None
        #: The job store's note that the job this worker was started for finished and was
        #: deleted (``AbstractJobStore.finish_note``), when that was its only job; else None.
        self.finish_note: Optional[str] = None

    def run(self) -> int:
        capture: Optional[_OutputCapture] = None
        if self.capture_output:
            capture = _OutputCapture(self.node_dir)
        start = time.time()
        exit_code = EXIT_OK
        current_id = self.job_id
        try:
            if self.load_module:
                load_user_module(self.job_store, self.node_dir)
            exit_code = self._run_chain()
        except BaseException as err:  # noqa: B902 - anything that escapes is a failure of the current job

            # A mistake the engine caught (an unpicklable return value, a missing file...) is its
            # message and the user's lines that led to it; anything else its full traceback.
            sys.stderr.write(report(err, debug_requested(self.config)))
            sys.stderr.flush()
            exit_code = job_exit_code(err)
            current_id = self._current_id
            # An exception whose ``toil_retry`` attribute is False says that trying the job
            # again cannot succeed (a CWL tool's permanentFail): no retries are spent on it.
            self._report_failure(current_id, capture, retry=getattr(err, "toil_retry", True) is not False)
        finally:
            if capture is not None:
                if exit_code == EXIT_OK and self.ran and self._send_success_log():
                    limit = int(self.config.maxLogFileSize or 0)
                    self.success_log = capture.read(limit).decode("utf-8", errors="replace")
                capture.restore()
            self._ship_messages(time.time() - start)
        return exit_code

    def _send_success_log(self) -> bool:
        if self.config.writeLogsFromAllJobs:
            return True
        level = str(self.config.logLevel or "INFO").upper()
        return level == "DEBUG" or logging.getLogger().isEnabledFor(logging.DEBUG)

    def _report_failure(self, job_id: str, capture: Optional[_OutputCapture], retry: bool = True) -> None:
        limit = int(self.config.maxLogFileSize or 0)
        data = capture.read(limit) if capture is not None else traceback.format_exc().encode()
        record_failure(self.job_store, job_id, self.config, data, retry=retry)

    def _run_chain(self) -> int:
        desc: Optional[JobDescription] = self.job_store.load_job(self.job_id)
        manager = DeferredFunctionManager(self.node_dir)
        while desc is not None:
            self._current_id = desc.jobStoreID or self._current_id
            if desc.body_id is None:
                return EXIT_OK  # already ran (e.g. the leader lost track of a finished job)
            with manager.open() as register:
                finished = self._run_one(desc, register)
            if finished is None:
                if len(self.ran) == 1 and desc.jobStoreID == self.job_id:
                    self.finish_note = self._note()
                return EXIT_OK
            desc = chain_target(self.job_store, finished, self.config)
            if desc is not None:
                logger.debug("Chaining from %s to %s", finished, desc)
        return EXIT_OK

    def _note(self) -> Optional[str]:
        try:
            return _checked_note(self.job_store.finish_note(self.job_id))
        except Exception:  # noqa: B902 - only an optimisation: the leader reads the job back
            logger.debug("No finish note for %s", self.job_id, exc_info=True)
            return None

    def _run_one(self, desc: JobDescription, register: Any) -> Optional[JobDescription]:
        """Run one job; returns its updated description, or None if it was deleted (a leaf)."""
        config = self.config
        stats = bool(config.stats)
        started = time.time()
        clock = _cpu_seconds() if stats else 0.0
        store = self.job_store
        if desc.kind != SERVICE and supports_scoping(store):
            stored_id = str(desc.jobStoreID)  # a description loaded from the store has its ID
            begin_attempt(store, desc)  # discards the files of earlier attempts that never finished
            store = attempt_scoped(store, stored_id)
        job = load_job_body(store, desc)
        job.assignConfig(config)
        self.ran.append([desc.jobName, str(desc.jobStoreID)])
        caching = config.caching
        if caching is None:
            caching = store.default_caching()
        file_store = AbstractFileStore.createFileStore(
            store, desc, self.node_dir, None, caching=bool(caching)
        )
        file_store.keep_temp_dirs = config.cleanWorkDir in ("never", "onSuccess")
        job._defer = register
        cwd = os.getcwd()
        try:
            with file_store.open(job):
                value = job._runner(file_store)
                deleted = commit_finished_job(store, config, job, value,
                                              getattr(file_store, "filesToDelete", ()) or ())
        except BaseException:
            # The job's log (what the leader shows for a failed job) names the files it used.
            lines = file_store.access_log_lines()
            if lines:
                sys.stderr.write("\n".join(lines) + "\n")
                sys.stderr.flush()
            raise
        finally:
            job._defer = None
            os.chdir(cwd)
        self.messages.extend(
            {"job": str(desc), "text": m["text"], "level": m.get("level", logging.INFO)}
            for m in getattr(file_store, "logged_messages", [])
        )
        if stats:
            elapsed = time.time() - started
            cpu = _cpu_seconds() - clock
            self.job_stats.append(
                {
                    "class_name": desc.displayName or desc.jobName,
                    "job_id": desc.jobStoreID,
                    "time": elapsed,
                    "clock": cpu,
                    "wait": max(0.0, elapsed - cpu),
                    "memory": _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss,
                    "start": started,  # wall-clock seconds since the epoch, for concurrency charts
                    "end": started + elapsed,
                }
            )
        return None if deleted else desc

    def _ship_messages(self, wall: float) -> None:
        if not self.messages and not self.job_stats and self.success_log is None:
            return
        blob: Dict[str, Any] = {"logs": self.messages}
        if self.success_log is not None:
            blob["worker_log"] = {"jobs": self.ran, "text": self.success_log}
        if self.job_stats:
            blob["jobs"] = self.job_stats
            blob["worker"] = {"time": wall, "clock": _cpu_seconds(), "memory": _max_rss()}
        try:
            self.job_store.write_logs(json.dumps(blob))
        except Exception:
            logger.exception("Could not send job logs and stats to the leader")


def run_worker(job_store: AbstractJobStore, job_id: str, capture_output: bool = True, load_module: bool = True) -> int:
    """Run the job ``job_id`` (and any chained successors); returns the worker exit code."""
    return Worker(job_store, job_id, capture_output=capture_output, load_module=load_module).run()


def run_worker_noted(job_store: AbstractJobStore, job_id: str) -> "tuple[int, Optional[str]]":
    """:func:`run_worker`, and the job store's note if the job finished and was deleted (see
    ``AbstractJobStore.finish_note``): a batch system that can carry it hands it to the leader
    with the exit status, which spares the leader reading the job back."""
    worker = Worker(job_store, job_id)
    code = worker.run()
    return code, (worker.finish_note if code == EXIT_OK else None)


#: Longest finish note passed on (a note rides in one line of the fork server's protocol).
MAX_NOTE = 8192


def _checked_note(note: Optional[str]) -> Optional[str]:
    """``note`` if it can ride in a protocol line (printable ASCII, no whitespace, short)."""
    if note is None or len(note) > MAX_NOTE or not note.isascii() or not note.isprintable() \
            or any(c.isspace() for c in note):
        return None
    return note
