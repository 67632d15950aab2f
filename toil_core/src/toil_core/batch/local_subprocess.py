"""A base class for batch systems whose jobs are subprocesses of the leader.

:class:`LocalSubprocessBatchSystem` does the duties the contract suite checks, so a backend only
says *how* to start one job (override :meth:`~LocalSubprocessBatchSystem.job_argv`, e.g. to wrap
the command in a container or a sandbox):

* jobs wait in a queue until their cores fit in ``maxCores`` (``--maxCores``);
* the jobs' ``PATH`` starts with the interpreter's directory, where ``_toil_worker`` lives, so
  workflows run even when the user did not activate the virtual environment;
* each finished job is reported once, a signal death as ``-N`` (never as success);
* killed jobs (their whole process group) are never reported; ``shutdown`` is safe twice.
"""
from __future__ import annotations

import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Sequence

from .abstract import BatchJobExitReason, BatchSystemSupport, UpdatedBatchJobInfo

__all__ = ["LocalSubprocessBatchSystem"]

logger = logging.getLogger(__name__)


class _LocalJob:
    __slots__ = ("batch_id", "command", "desc", "env", "cores", "process", "started")

    def __init__(self, batch_id: int, command: str, desc: Any, env: Dict[str, str], cores: float) -> None:
        self.batch_id = batch_id
        self.command = command
        self.desc = desc
        self.env = env
        self.cores = cores
        self.process: Optional[subprocess.Popen] = None
        self.started = 0.0


class LocalSubprocessBatchSystem(BatchSystemSupport):
    """Runs every job as a local subprocess (``/bin/sh -c COMMAND`` unless :meth:`job_argv` says
    otherwise), at most ``maxCores`` cores' worth at once."""

    @classmethod
    def runs_workers_beside_leader(cls) -> bool:
        return True

    def __init__(self, config: Any, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        super().__init__(config, maxCores, maxMemory, maxDisk)
        self._cond = threading.Condition()
        self._next_id = 0
        self._waiting: List[_LocalJob] = []
        self._running: Dict[int, _LocalJob] = {}
        self._killed: set = set()
        self._updates: "queue.Queue[UpdatedBatchJobInfo]" = queue.Queue()
        self._closed = False

    # ------------------------------------------------------------------ what subclasses change
    def job_argv(self, command: str, job_desc: Any) -> Sequence[str]:
        """The program and arguments that run ``command`` (a shell command line, a
        :class:`~toil_core.batch.invocation.WorkerInvocation` for Toil's own jobs)."""
        return ["/bin/sh", "-c", command]

    def job_environment(self, job_environment: Dict[str, str]) -> Dict[str, str]:
        """The job's environment: this process's, ``setEnv``'s, the job's own, and the interpreter's
        directory first on ``PATH``."""
        env = dict(os.environ)
        env.update(self.environment)
        env.update(job_environment)
        env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
        return env

    # ------------------------------------------------------------------ the interface
    def issueBatchJob(self, command: str, job_desc: Any, job_environment: Optional[Dict[str, str]] = None) -> int:
        self.check_resource_request(job_desc)
        env = self.job_environment(dict(job_environment or {}))
        with self._cond:
            if self._closed:
                raise RuntimeError("the batch system was shut down")
            job = _LocalJob(self._next_id, command, job_desc, env, float(getattr(job_desc, "cores", 1) or 0))
            self._next_id += 1
            self._waiting.append(job)
            self._start_fitting()
            return job.batch_id

    def _start_fitting(self) -> None:
        """Start waiting jobs, in order, while their cores fit; the caller holds the lock."""
        while self._waiting and not self._closed:
            job = self._waiting[0]
            used = sum(j.cores for j in self._running.values())
            if self._running and used + job.cores > self.maxCores + 1e-9:
                return
            self._waiting.pop(0)
            try:
                job.process = subprocess.Popen(list(self.job_argv(job.command, job.desc)), env=job.env,
                                               start_new_session=True)
            except OSError as error:
                logger.error("Could not start batch job %d: %s", job.batch_id, error)
                self._updates.put(UpdatedBatchJobInfo(job.batch_id, 127, BatchJobExitReason.ERROR, 0.0))
                continue
            job.started = time.time()
            self._running[job.batch_id] = job
            threading.Thread(target=self._wait, args=(job,), daemon=True, name=f"local-job-{job.batch_id}").start()

    def _wait(self, job: _LocalJob) -> None:
        assert job.process is not None
        code = job.process.wait()
        with self._cond:
            self._running.pop(job.batch_id, None)
            killed = job.batch_id in self._killed
            self._killed.discard(job.batch_id)
            self._start_fitting()
            self._cond.notify_all()
        if killed:
            return
        if code == 0:
            reason = BatchJobExitReason.FINISHED
        else:
            reason = BatchJobExitReason.KILLED if code < 0 else BatchJobExitReason.FAILED
        self._updates.put(UpdatedBatchJobInfo(job.batch_id, code, reason, time.time() - job.started))

    def getUpdatedBatchJob(self, maxWait: float) -> Optional[UpdatedBatchJobInfo]:
        try:
            return self._updates.get(timeout=maxWait) if maxWait > 0 else self._updates.get_nowait()
        except queue.Empty:
            return None

    def getIssuedBatchJobIDs(self) -> List[int]:
        with self._cond:
            return [j.batch_id for j in self._waiting] + list(self._running)

    def getRunningBatchJobIDs(self) -> Dict[int, float]:
        now = time.time()
        with self._cond:
            return {i: now - j.started for i, j in self._running.items()}

    def getSchedulingStatusMessage(self) -> Optional[str]:
        with self._cond:
            if self._waiting:
                return f"{len(self._waiting)} jobs are waiting for cores on this machine (--maxCores {self.maxCores:g})."
        return None

    def killBatchJobs(self, jobIDs: List[int]) -> None:
        wanted = set(jobIDs)
        with self._cond:
            self._waiting = [j for j in self._waiting if j.batch_id not in wanted]
            victims = [j for i, j in self._running.items() if i in wanted]
            self._killed.update(j.batch_id for j in victims)
        for job in victims:
            if job.process is not None:
                try:
                    os.killpg(job.process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        with self._cond:  # wait until they are gone, so their cores are free again
            self._cond.wait_for(lambda: not any(j.batch_id in self._running for j in victims), timeout=30)

    def shutdown(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._waiting = []
            running = list(self._running)
        self.killBatchJobs(running)
