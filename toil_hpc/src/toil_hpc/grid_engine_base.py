"""The shared base of every HPC batch system in toil-hpc.

:class:`AbstractGridEngineBatchSystem` does everything that does not depend on the scheduler:
it numbers jobs, keeps at most ``--maxJobs`` of them submitted, submits and polls from one
background thread (at most one round of scheduler queries per ``--statePollingWait`` seconds,
cached in between), reports each finished job once with its exit code, exit reason and wall
time, kills jobs, retries ``--doubleMem`` jobs that ran out of memory, and cleans up at shutdown.

A scheduler module implements four methods:

``prepareSubmission(cpu, memory, jobID, command, jobName, job_environment, gpus)``
    what to submit (a command line, or anything ``submitJob`` understands);
``submitJob(subLine) -> str``
    submit it and return the scheduler's job ID;
``query_jobs(scheduler_ids) -> {scheduler_id: JobStatus}``
    the state of those jobs, in as few scheduler calls as possible (jobs it cannot find are left
    out: after ``lost_after`` seconds of that they are reported LOST);
``killJob(scheduler_id)``
    ask the scheduler to kill a job.

Commands run through :func:`run_scheduler_command`, which raises :class:`SchedulerCommandError`
with the command's stderr when it fails.
"""
from __future__ import annotations

import collections
import logging
import math
import queue
import re
import sys
import threading
import time
from abc import abstractmethod
from typing import TYPE_CHECKING, Any, Deque, Dict, List, Optional

from toil_core.plugin_api import (
    EXIT_STATUS_UNAVAILABLE_VALUE,
    BatchJobExitReason,
    BatchSystemSupport,
    InsufficientSystemResources,
    UpdatedBatchJobInfo,
)

from toil_hpc.scheduler_util import (  # re-exported for the scheduler modules (see __all__)
    DONE,
    PENDING,
    RUNNING,
    MiB,
    JobStatus,
    SchedulerCommandError,
    check_no_resource_args,
    exit_reason_for,
    gpu_count,
    job_script,
    parse_duration,
    resolve_worker_command,
    run_scheduler_command,
    run_scheduler_query,
    shell_path_with_variable,
    split_args,
)

if TYPE_CHECKING:
    from toil_core.plugin_api import Config

__all__ = [
    "DONE", "PENDING", "RUNNING", "MiB", "AbstractGridEngineBatchSystem", "JobStatus", "SchedulerCommandError",
    "check_no_resource_args", "exit_reason_for", "gpu_count", "job_script", "parse_duration",
    "resolve_worker_command", "run_scheduler_command", "run_scheduler_query", "shell_path_with_variable",
    "split_args",
]

logger = logging.getLogger(__name__)


class _GridJob:
    __slots__ = ("batch_id", "command", "desc", "env", "cores", "memory", "gpus", "name", "scheduler_id",
                 "submitted", "started", "unknown_since", "killed", "memory_doublings")

    def __init__(self, batch_id: int, command: str, desc: Any, env: Dict[str, str], memory: int) -> None:
        self.batch_id = batch_id
        self.command = command
        self.desc = desc
        self.env = env
        self.cores = max(1, math.ceil(float(getattr(desc, "cores", 1) or 1) - 1e-9))
        self.memory = memory
        self.gpus = list(getattr(desc, "accelerators", None) or [])
        self.name = str(getattr(desc, "jobName", "") or "job")
        self.scheduler_id: Optional[str] = None
        self.submitted: Optional[float] = None
        self.started: Optional[float] = None
        self.unknown_since: Optional[float] = None
        self.killed = False
        self.memory_doublings = 0


class AbstractGridEngineBatchSystem(BatchSystemSupport):
    """Submits jobs through a scheduler's command line (or API) and polls for their states."""

    #: Name used in messages (``"Slurm"``, ``"Grid Engine"``...).
    scheduler_label = "the scheduler"
    #: Seconds a submitted job may be unknown to the scheduler before it is reported LOST.
    lost_after = 180.0
    #: Extra tries of a failing submission before the job is reported as an ERROR.
    submit_retries = 3

    @classmethod
    def supportsAutoDeployment(cls) -> bool:
        return False

    @classmethod
    def supportsWorkerCleanup(cls) -> bool:
        return False

    def __init__(self, config: Config, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        super().__init__(config, maxCores, maxMemory, maxDisk)
        max_jobs = int(config.max_jobs or 0)
        self.max_jobs = max_jobs if 0 < max_jobs < sys.maxsize else None
        self.polling_wait = max(0.0, float(config.statePollingWait or 1))
        self.double_mem = bool(config.doubleMem)
        self._cond = threading.Condition(threading.RLock())
        self._next_id = 0
        self._jobs: Dict[int, _GridJob] = {}
        self._waiting: Deque[_GridJob] = collections.deque()
        self._updates: "queue.Queue[UpdatedBatchJobInfo]" = queue.Queue()
        self._last_poll = 0.0
        self._shut_down = False
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"{type(self).__name__}-poller")
        self._thread.start()

    # ------------------------------------------------------------------ scheduler hooks
    @abstractmethod
    def prepareSubmission(self, cpu: int, memory: int, jobID: int, command: str, jobName: str,
                          job_environment: Optional[Dict[str, str]] = None,
                          gpus: Optional[List[Dict[str, Any]]] = None) -> Any:
        """What to give :meth:`submitJob` for one job (usually a command line)."""

    def submitJob(self, subLine: Any) -> str:
        """Submit and return the scheduler's job ID (default: run the command line and parse it)."""
        return self.parse_submission_output(run_scheduler_command(subLine))

    def parse_submission_output(self, output: str) -> str:
        return output.strip().split()[0]

    @abstractmethod
    def query_jobs(self, scheduler_ids: List[str]) -> Dict[str, JobStatus]:
        """The status of each of these jobs that the scheduler still knows about."""

    @abstractmethod
    def killJob(self, jobID: str) -> None:
        """Ask the scheduler to kill one job."""

    def kill_jobs(self, scheduler_ids: List[str]) -> None:
        for scheduler_id in scheduler_ids:
            self.killJob(scheduler_id)

    def max_accelerators(self) -> Optional[int]:
        """The most GPUs one job can get from this scheduler, or None if unknown (no check)."""
        return None

    def check_resource_request(self, requirer: Any) -> None:
        super().check_resource_request(requirer)
        wanted = gpu_count(getattr(requirer, "accelerators", None))
        if wanted:
            available = self.max_accelerators()
            if available is not None and wanted > available:
                raise InsufficientSystemResources(requirer, "accelerators", available, type(self).__name__,
                                                  f" (the most GPUs any node of {self.scheduler_label} has)")

    # ------------------------------------------------------------------ helpers for subclasses
    def std_path(self, batch_id: int, scheduler_id: str, std: str) -> str:
        """Where the job's stdout/stderr go (``std`` is std_output or std_error); the scheduler
        expands a placeholder such as ``%j`` given as ``scheduler_id``."""
        return self.format_std_out_err_path(batch_id, scheduler_id, std)

    def job_name(self, batch_id: int, name: str, limit: int = 128) -> str:
        cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "job"
        return f"toil_job_{batch_id}_{cleaned}"[:limit]

    def memory_mib(self, memory: int) -> int:
        return max(1, math.ceil(int(memory) / MiB))

    # ------------------------------------------------------------------ leader interface
    def issueBatchJob(self, command: str, job_desc: Any, job_environment: Optional[Dict[str, str]] = None) -> int:
        self.check_resource_request(job_desc)
        env = dict(self.environment)
        env.update(job_environment or {})
        with self._cond:
            if self._shut_down:
                raise RuntimeError(f"{type(self).__name__} is shut down")
            batch_id = self._next_id
            self._next_id += 1
            job = _GridJob(batch_id, resolve_worker_command(command), job_desc, env, int(job_desc.memory))
            self._jobs[batch_id] = job
            self._waiting.append(job)
            self._cond.notify_all()
        logger.debug("Queued batch job %d for %s: %s", batch_id, self.scheduler_label, job.command)
        return batch_id

    def killBatchJobs(self, jobIDs: List[int]) -> None:
        to_kill: List[str] = []
        with self._cond:
            for batch_id in jobIDs:
                job = self._jobs.pop(batch_id, None)
                if job is None:
                    continue
                job.killed = True
                if job in self._waiting:
                    self._waiting.remove(job)
                elif job.scheduler_id is not None:
                    to_kill.append(job.scheduler_id)
            self._cond.notify_all()
        if to_kill:
            try:
                self.kill_jobs(to_kill)
            except SchedulerCommandError as exc:
                logger.warning("Could not kill %s jobs %s: %s", self.scheduler_label, ", ".join(to_kill), exc)

    def getIssuedBatchJobIDs(self) -> List[int]:
        with self._cond:
            return list(self._jobs)

    def getRunningBatchJobIDs(self) -> Dict[int, float]:
        now = time.time()
        with self._cond:
            return {i: now - j.started for i, j in self._jobs.items() if j.started is not None}

    def getUpdatedBatchJob(self, maxWait: float) -> Optional[UpdatedBatchJobInfo]:
        try:
            return self._updates.get(timeout=maxWait) if maxWait > 0 else self._updates.get_nowait()
        except queue.Empty:
            return None

    def getSchedulingStatusMessage(self) -> Optional[str]:
        with self._cond:
            waiting = len(self._waiting)
            queued = sum(1 for j in self._jobs.values() if j.scheduler_id is not None and j.started is None)
        if waiting and self.max_jobs:
            return f"{waiting} jobs are waiting because --maxJobs {self.max_jobs} jobs are already submitted."
        if queued:
            return f"{queued} jobs are queued in {self.scheduler_label} and not running yet."
        return None

    def shutdown(self) -> None:
        with self._cond:
            if self._shut_down:
                return
            self._shut_down = True
            self._waiting.clear()
            remaining = [j for j in self._jobs.values() if j.scheduler_id is not None]
            for job in self._jobs.values():
                job.killed = True
            self._jobs.clear()
            self._cond.notify_all()
        if remaining:  # kill first: the poller may be busy with a slow query
            try:
                self.kill_jobs([j.scheduler_id for j in remaining if j.scheduler_id])
            except SchedulerCommandError as exc:
                logger.warning("Could not kill %s jobs at shutdown: %s", self.scheduler_label, exc)
        self._thread.join(timeout=60)

    # ------------------------------------------------------------------ background thread
    def _run(self) -> None:
        while True:
            with self._cond:
                if self._shut_down:
                    return
                to_submit: List[_GridJob] = []
                submitted = sum(1 for j in self._jobs.values() if j.scheduler_id is not None)
                while self._waiting and (self.max_jobs is None or submitted + len(to_submit) < self.max_jobs):
                    to_submit.append(self._waiting.popleft())
            for job in to_submit:
                self._submit(job)
            with self._cond:
                active = any(j.scheduler_id is not None for j in self._jobs.values())
            if active and time.time() - self._last_poll >= self.polling_wait:
                self._last_poll = time.time()
                try:
                    self._poll()
                except Exception:  # keep polling whatever happens; the next round may work
                    logger.exception("Polling %s failed", self.scheduler_label)
            with self._cond:
                if self._shut_down:
                    return
                if self._waiting and not to_submit and self.max_jobs is None:
                    continue
                if active:
                    delay = max(0.05, self._last_poll + self.polling_wait - time.time())
                    self._cond.wait(timeout=min(delay, 1.0) if self._waiting else delay)
                elif not self._waiting:
                    self._cond.wait(timeout=5)

    def _submit(self, job: _GridJob) -> None:
        try:
            sub_line = self.prepareSubmission(job.cores, job.memory, job.batch_id, job.command, job.name,
                                              job.env, job.gpus)
            scheduler_id = self._submit_with_retries(sub_line)
        except Exception as exc:
            logger.error("Could not submit batch job %d to %s: %s", job.batch_id, self.scheduler_label, exc)
            self._report(job, EXIT_STATUS_UNAVAILABLE_VALUE, BatchJobExitReason.ERROR, 0.0)
            return
        with self._cond:
            job.scheduler_id = scheduler_id
            job.submitted = time.time()
            killed = job.killed
        logger.debug("Submitted batch job %d as %s job %s", job.batch_id, self.scheduler_label, scheduler_id)
        self._announce_external_id(job.batch_id, scheduler_id)
        if killed:  # killed while being submitted
            try:
                self.kill_jobs([scheduler_id])
            except SchedulerCommandError as exc:
                logger.warning("Could not kill %s job %s: %s", self.scheduler_label, scheduler_id, exc)

    def _announce_external_id(self, batch_id: int, scheduler_id: str) -> None:
        """Tell the leader's message bus (``--writeMessages``, ``toil status --printStatus``) which
        scheduler job runs the batch job."""
        bus = getattr(self, "_message_bus", None)
        if bus is None:
            return
        from toil_core.plugin_api import ExternalBatchIdMessage

        try:
            bus.publish(ExternalBatchIdMessage(batch_id, str(scheduler_id), type(self).__name__))
        except Exception:  # a closed messages file must never stop submissions
            logger.debug("Could not publish the scheduler id of batch job %d", batch_id, exc_info=True)

    def _submit_with_retries(self, sub_line: Any) -> str:
        for attempt in range(self.submit_retries + 1):
            try:
                return self.submitJob(sub_line)
            except SchedulerCommandError as exc:
                if attempt >= self.submit_retries or self._shut_down:
                    raise
                logger.warning("Submission to %s failed, retrying: %s", self.scheduler_label, exc)
                time.sleep(min(10.0, 1.0 + 2 * attempt))
        raise AssertionError("unreachable")

    def _poll(self) -> None:
        with self._cond:
            jobs = {j.scheduler_id: j for j in self._jobs.values() if j.scheduler_id is not None}
        if not jobs:
            return
        statuses = self.query_jobs(list(jobs))
        now = time.time()
        for scheduler_id, job in jobs.items():
            status = statuses.get(scheduler_id)
            with self._cond:
                if job.killed or self._jobs.get(job.batch_id) is not job:
                    continue
                if status is None:
                    job.unknown_since = job.unknown_since or now
                    if now - job.unknown_since < self.lost_after:
                        continue
                    status = JobStatus(DONE, EXIT_STATUS_UNAVAILABLE_VALUE, BatchJobExitReason.LOST,
                                       message=f"{self.scheduler_label} has no record of job {scheduler_id} "
                                               f"for {int(now - job.unknown_since)} s")
                job.unknown_since = None
                if status.state == RUNNING and job.started is None:
                    job.started = now - (status.elapsed or 0.0)
                if status.state != DONE:
                    continue
            self._finish(job, status, now)

    def _finish(self, job: _GridJob, status: JobStatus, now: float) -> None:
        exit_code = EXIT_STATUS_UNAVAILABLE_VALUE if status.exit_code is None else int(status.exit_code)
        reason = status.reason or exit_reason_for(exit_code)
        if reason == BatchJobExitReason.FINISHED and exit_code != 0:
            reason = BatchJobExitReason.FAILED
        wall = status.elapsed if status.elapsed is not None else now - (job.started or job.submitted or now)
        where = f"{self.scheduler_label} job {job.scheduler_id} (Toil batch job {job.batch_id}, {job.name})"
        if reason == BatchJobExitReason.MEMLIMIT:
            logger.warning("%s exceeded its memory limit of %d MiB and was stopped%s", where,
                           self.memory_mib(job.memory), f": {status.message}" if status.message else ".")
            if self._double_memory(job):
                return
        elif status.message:
            logger.warning("%s: %s", where, status.message)
        self._report(job, exit_code, reason, wall)

    def _double_memory(self, job: _GridJob) -> bool:
        """--doubleMem: submit the job again with twice the memory, without telling the leader."""
        if not self.double_mem or job.memory * 2 > self.maxMemory:
            return False
        with self._cond:
            if job.killed or self._shut_down:
                return False
            job.memory *= 2
            job.memory_doublings += 1
            job.scheduler_id = job.started = job.submitted = job.unknown_since = None
            self._waiting.append(job)
            self._cond.notify_all()
        logger.warning("--doubleMem: resubmitting Toil batch job %d with %d MiB of memory.", job.batch_id,
                       self.memory_mib(job.memory))
        return True

    def _report(self, job: _GridJob, exit_code: int, reason: BatchJobExitReason, wall: float) -> None:
        with self._cond:
            if job.killed or self._jobs.pop(job.batch_id, None) is None:
                return
        self._updates.put(UpdatedBatchJobInfo(job.batch_id, exit_code, reason, wall))
