"""A base for batch systems that hand each job to an external scheduler and poll it.

Slurm, Grid Engine, LSF, Torque and HTCondor (toil-hpc), and any queue a plugin submits to over a
command line or an API, share one shape: Toil's jobs wait in a queue until the backend may submit
them (at most ``--maxJobs`` at once), a submission returns the scheduler's ID for the job, the
scheduler is asked about every submitted job in one batch at most once per ``--statePollingWait``
seconds, and each job that is over is reported once, with its exit code, an exit reason and its
wall time. :class:`SubmitAndPollBatchSystem` does all of that from one background thread; a
subclass says only how to talk to its scheduler:

``submit(job) -> str``
    hand one :class:`SubmittedJob` to the scheduler and return the scheduler's ID for it;
``query_jobs(scheduler_ids) -> {scheduler_id: SchedulerJobStatus}``
    the state of those jobs, in as few calls as possible; a job missing from the answer for
    ``lost_after`` seconds is reported LOST;
``kill_jobs(scheduler_ids)``
    ask the scheduler to stop those jobs.

Errors of the types in ``transient_errors`` (a failed command, a timeout...) are retried
``submit_retries`` times for submissions and logged for kills; a submission that still fails is
reported as an ERROR of that job, never as a crash of the leader. A job that ends with the
MEMLIMIT reason is submitted again with twice the memory under ``--doubleMem``. Killed jobs are
never reported, and :meth:`shutdown` kills whatever is still submitted.
"""
from __future__ import annotations

import collections
import logging
import math
import queue
import sys
import threading
import time
from abc import abstractmethod
from typing import TYPE_CHECKING, Any, Deque, Dict, List, Optional, Sequence, Tuple, Type

import attrs

from toil_core.batch.abstract import EXIT_STATUS_UNAVAILABLE_VALUE, BatchJobExitReason, BatchSystemSupport, UpdatedBatchJobInfo
from toil_core.batch.invocation import WorkerInvocation
from toil_core.bus import ExternalBatchIdMessage
from toil_core.lib.errors import ToilError

if TYPE_CHECKING:
    from toil_core.common.config import Config

__all__ = ["JOB_DONE", "JOB_PENDING", "JOB_RUNNING", "SchedulerJobStatus", "SubmitAndPollBatchSystem", "SubmittedJob",
           "exit_reason_for", "job_kind"]

logger = logging.getLogger(__name__)

#: The states a scheduler's job can be in, as :class:`SchedulerJobStatus` records them.
JOB_PENDING, JOB_RUNNING, JOB_DONE = "pending", "running", "done"


@attrs.frozen
class SchedulerJobStatus:
    """What the scheduler says about one job.

    ``state`` is JOB_PENDING, JOB_RUNNING or JOB_DONE; once done, ``exit_code`` is the job's exit status (None:
    unknown) and ``reason`` the exit reason (None: FINISHED for 0, else FAILED). ``elapsed`` is how
    long the job has run (or ran); ``message`` explains an unusual end (memory or time limit, a
    held job...) and is logged when the job is reported.
    """

    state: str
    exit_code: Optional[int] = None
    reason: Optional[BatchJobExitReason] = None
    elapsed: Optional[float] = None
    message: Optional[str] = None


def exit_reason_for(exit_code: int) -> BatchJobExitReason:
    """FINISHED for exit status 0, FAILED for anything else."""
    return BatchJobExitReason.FINISHED if exit_code == 0 else BatchJobExitReason.FAILED


def job_kind(desc: Any) -> str:
    """The name a scheduler shows for a job: its unit name (what a workflow runner sets to the
    step's name, e.g. ``wf.call`` for a WDL call), else its job name (the Job class), else its
    display name; ``job`` when it has none (upstream's rule for naming batch jobs)."""
    for attr in ("unitName", "jobName", "displayName"):
        value = getattr(desc, attr, "")
        if value:
            return str(value)
    return "job"


class SubmittedJob:
    """One of Toil's jobs on its way through the scheduler (what :meth:`submit` gets).

    ``command`` is the command line to run (the worker with an absolute path), ``env`` the
    environment to give it, ``cores`` whole cores (at least 1), ``memory`` bytes, ``gpus`` the
    accelerator requests and ``name`` the job's name (:func:`job_kind`); the rest is the base class's
    bookkeeping.
    """

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
        self.name = job_kind(desc)
        self.scheduler_id: Optional[str] = None
        self.submitted: Optional[float] = None
        self.started: Optional[float] = None
        self.unknown_since: Optional[float] = None
        self.killed = False
        self.memory_doublings = 0


class SubmitAndPollBatchSystem(BatchSystemSupport):
    """Submits jobs to an external scheduler and polls it (see the module docstring)."""

    #: Name used in messages (``"Slurm"``, ``"Grid Engine"``...).
    scheduler_label = "the scheduler"
    #: Seconds a submitted job may be unknown to the scheduler before it is reported LOST.
    lost_after = 180.0
    #: Extra tries of a failing submission before the job is reported as an ERROR.
    submit_retries = 3
    #: Errors worth retrying (submissions) or logging and going on (kills).
    transient_errors: Tuple[Type[BaseException], ...] = (ToilError, OSError)

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
        self._jobs: Dict[int, SubmittedJob] = {}
        self._waiting: Deque[SubmittedJob] = collections.deque()
        self._updates: "queue.Queue[UpdatedBatchJobInfo]" = queue.Queue()
        self._last_poll = 0.0
        self._shut_down = False
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"{type(self).__name__}-poller")
        self._thread.start()

    # ------------------------------------------------------------------ what a subclass implements
    @abstractmethod
    def submit(self, job: SubmittedJob) -> str:
        """Hand ``job`` to the scheduler; the scheduler's ID for it."""

    @abstractmethod
    def query_jobs(self, scheduler_ids: List[str]) -> Dict[str, SchedulerJobStatus]:
        """The status of each of these jobs that the scheduler still knows about."""

    @abstractmethod
    def kill_jobs(self, scheduler_ids: List[str]) -> None:
        """Ask the scheduler to stop these jobs."""

    def worker_command(self, command: str) -> str:
        """The command line to submit for ``command``: Toil's worker by its absolute path (the
        scheduler's nodes need not have this environment's ``bin`` on their PATH)."""
        invocation = WorkerInvocation.parse(command)
        return command if invocation is None else str(invocation.resolved())

    def memory_mib(self, memory: int) -> int:
        """``memory`` bytes in whole MiB (at least 1), as schedulers usually take it."""
        return max(1, math.ceil(int(memory) / (1024 * 1024)))

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
            job = SubmittedJob(batch_id, self.worker_command(command), job_desc, env, int(job_desc.memory))
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
            self._kill_logging_errors(to_kill, "")

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
            self._kill_logging_errors([j.scheduler_id for j in remaining if j.scheduler_id], " at shutdown")
        self._thread.join(timeout=60)

    # ------------------------------------------------------------------ background thread
    def _kill_logging_errors(self, scheduler_ids: Sequence[str], when: str) -> None:
        try:
            self.kill_jobs(list(scheduler_ids))
        except self.transient_errors as exc:
            logger.warning("Could not kill %s jobs %s%s: %s", self.scheduler_label, ", ".join(scheduler_ids),
                           when, exc)

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._shut_down:
                    return
                to_submit: List[SubmittedJob] = []
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

    def _submit(self, job: SubmittedJob) -> None:
        try:
            scheduler_id = self._submit_with_retries(job)
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
            self._kill_logging_errors([scheduler_id], "")

    def _announce_external_id(self, batch_id: int, scheduler_id: str) -> None:
        """Tell the leader's message bus (``--writeMessages``, ``toil status --printStatus``) which
        scheduler job runs the batch job."""
        bus = getattr(self, "_message_bus", None)
        if bus is None:
            return
        try:
            bus.publish(ExternalBatchIdMessage(batch_id, str(scheduler_id), type(self).__name__))
        except Exception:  # a closed messages file must never stop submissions
            logger.debug("Could not publish the scheduler id of batch job %d", batch_id, exc_info=True)

    def _submit_with_retries(self, job: SubmittedJob) -> str:
        for attempt in range(self.submit_retries + 1):
            try:
                return self.submit(job)
            except self.transient_errors as exc:
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
                    status = SchedulerJobStatus(JOB_DONE, EXIT_STATUS_UNAVAILABLE_VALUE, BatchJobExitReason.LOST,
                                       message=f"{self.scheduler_label} has no record of job {scheduler_id} "
                                               f"for {int(now - job.unknown_since)} s")
                job.unknown_since = None
                if status.state == JOB_RUNNING and job.started is None:
                    job.started = now - (status.elapsed or 0.0)
                if status.state != JOB_DONE:
                    continue
            self._finish(job, status, now)

    def _finish(self, job: SubmittedJob, status: SchedulerJobStatus, now: float) -> None:
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

    def _double_memory(self, job: SubmittedJob) -> bool:
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

    def _report(self, job: SubmittedJob, exit_code: int, reason: BatchJobExitReason, wall: float) -> None:
        with self._cond:
            if job.killed or self._jobs.pop(job.batch_id, None) is None:
                return
        self._updates.put(UpdatedBatchJobInfo(job.batch_id, exit_code, reason, wall))
