"""The example_local batch system: each job is a subprocess of the leader.

What a batch system must do (the leader calls these methods directly, once per job):

* ``issueBatchJob(command, job_desc, job_environment)`` -- refuse requests that can never fit
  (``check_resource_request`` raises InsufficientSystemResources), start or queue the shell
  ``command`` and return a new integer ID at once;
* ``getUpdatedBatchJob(maxWait)`` -- report each finished job exactly once, with its exit code;
* ``killBatchJobs(ids)`` -- stop them; killed jobs are never reported;
* ``getIssuedBatchJobIDs()`` / ``getRunningBatchJobIDs()`` -- what is queued or running;
* ``shutdown()`` -- stop everything; safe to call twice.

A Toil job's command is ``_toil_worker JOBNAME LOCATOR JOBID``; the worker program is installed
next to the Python interpreter, so that directory is put first on the jobs' ``PATH`` (users often
run ``/path/to/venv/bin/python workflow.py`` without activating the venv). Jobs run on this
machine, so at most ``maxCores`` cores' worth of them run at once (``--maxCores``), and
``runs_workers_beside_leader()`` says so.
"""
from __future__ import annotations

import collections
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Deque, Dict, List, Optional

from toil_core.plugin_api import BatchJobExitReason, BatchSystemSupport, UpdatedBatchJobInfo
from toil_core.plugin_api import settings_from

from toil_plugin_example.plugin import ExampleLocalSettings

if TYPE_CHECKING:
    from toil_core.plugin_api import Config

logger = logging.getLogger(__name__)


class _Job:
    def __init__(self, job_id: int, command: str, desc: Any, env: Dict[str, str]) -> None:
        self.id = job_id
        self.command = command
        self.desc = desc
        self.env = env
        self.process: Optional[subprocess.Popen] = None
        self.started = 0.0


class ExampleLocalBatchSystem(BatchSystemSupport):
    """Runs at most ``--exampleMaxParallel`` jobs at once as local subprocesses."""

    @classmethod
    def runs_workers_beside_leader(cls) -> bool:
        return True  # every job is a subprocess of the leader: the contract checks --maxCores

    def __init__(self, config: Config, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        super().__init__(config, maxCores, maxMemory, maxDisk)
        self.settings: ExampleLocalSettings = settings_from(config, ExampleLocalSettings)
        if self.settings.example_max_parallel < 1:
            raise ValueError("--exampleMaxParallel must be at least 1")
        self._lock = threading.Condition()
        self._next_id = 0
        self._queued: Deque[_Job] = collections.deque()
        self._running: Dict[int, _Job] = {}
        self._killed: set = set()
        self._updates: "queue.Queue[UpdatedBatchJobInfo]" = queue.Queue()
        self._closed = False

    # ------------------------------------------------------------------ issuing
    def issueBatchJob(self, command: str, job_desc: Any, job_environment: Optional[Dict[str, str]] = None) -> int:
        self.check_resource_request(job_desc)
        env = dict(self.environment)
        env.update(job_environment or {})
        with self._lock:
            if self._closed:
                raise RuntimeError("the example_local batch system was shut down")
            job = _Job(self._next_id, command, job_desc, env)
            self._next_id += 1
            self._queued.append(job)
            self._start_queued()
        return job.id

    def _job_environment(self, job: _Job) -> Dict[str, str]:
        env = dict(os.environ)
        env.update(job.env)
        env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
        return env

    def _start_queued(self) -> None:
        """Start queued jobs while there is room; the caller holds the lock."""
        while self._queued and len(self._running) < self.settings.example_max_parallel:
            used = sum(j.desc.cores for j in self._running.values())
            if self._running and used + self._queued[0].desc.cores > self.maxCores + 1e-9:
                break  # the next job waits for cores (--maxCores); one job always runs
            job = self._queued.popleft()
            try:
                job.process = self._popen(job)
            except OSError as error:
                logger.error("Could not start job %d: %s", job.id, error)
                self._updates.put(UpdatedBatchJobInfo(job.id, 127, BatchJobExitReason.ERROR, 0.0))
                continue
            job.started = time.time()
            self._running[job.id] = job
            threading.Thread(target=self._wait, args=(job,), daemon=True, name=f"example-job-{job.id}").start()

    def _popen(self, job: _Job) -> subprocess.Popen:
        """Start the job in a new session (so killing it kills what it started). Its output goes
        to files in --batchLogsDir (or TOIL_BATCH_LOGS_DIR) when one is given; otherwise standard
        error goes to the leader's (a Toil worker keeps its own log in the job store)."""
        command = [self.settings.example_shell, "-c", job.command]
        env = self._job_environment(job)
        if not (self.config.batch_logs_dir or os.environ.get("TOIL_BATCH_LOGS_DIR")):
            return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
        toil_id = getattr(job.desc, "jobStoreID", None) or job.id
        out = self.format_std_out_err_path(toil_id, str(job.id), "std_output")
        err = self.format_std_out_err_path(toil_id, str(job.id), "std_error")
        with open(out, "ab") as stdout, open(err, "ab") as stderr:
            return subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr, start_new_session=True)

    def _wait(self, job: _Job) -> None:
        assert job.process is not None
        code = job.process.wait()
        with self._lock:
            self._running.pop(job.id, None)
            killed = job.id in self._killed
            self._killed.discard(job.id)
            if not self._closed:
                self._start_queued()
            self._lock.notify_all()
        if killed:
            return
        status = code if code >= 0 else 128 - code  # killed by a signal: the shell's convention
        reason = BatchJobExitReason.FINISHED if status == 0 else BatchJobExitReason.FAILED
        self._updates.put(UpdatedBatchJobInfo(job.id, status, reason, time.time() - job.started))

    # ------------------------------------------------------------------ queries
    def getUpdatedBatchJob(self, maxWait: float) -> Optional[UpdatedBatchJobInfo]:
        try:
            return self._updates.get(timeout=maxWait) if maxWait > 0 else self._updates.get_nowait()
        except queue.Empty:
            return None

    def getIssuedBatchJobIDs(self) -> List[int]:
        with self._lock:
            return [job.id for job in self._queued] + list(self._running)

    def getRunningBatchJobIDs(self) -> Dict[int, float]:
        now = time.time()
        with self._lock:
            return {job_id: now - job.started for job_id, job in self._running.items()}

    def getSchedulingStatusMessage(self) -> Optional[str]:
        with self._lock:
            waiting = len(self._queued)
        return f"{waiting} jobs wait for one of {self.settings.example_max_parallel} slots." if waiting else None

    # ------------------------------------------------------------------ stopping
    def killBatchJobs(self, jobIDs: List[int]) -> None:
        with self._lock:
            wanted = set(jobIDs)
            self._queued = collections.deque(j for j in self._queued if j.id not in wanted)
            for job_id in wanted & set(self._running):
                self._killed.add(job_id)
                self._signal(self._running[job_id])
            # Return once they are gone, so they are no longer listed as issued or running.
            self._lock.wait_for(lambda: not (wanted & set(self._running)), timeout=30)

    @staticmethod
    def _signal(job: _Job) -> None:
        if job.process is not None:
            try:
                os.killpg(job.process.pid, signal.SIGKILL)  # the shell and everything it started
            except (ProcessLookupError, PermissionError):
                pass

    def shutdown(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queued.clear()
            for job in self._running.values():
                self._killed.add(job.id)
                self._signal(job)
            self._lock.wait_for(lambda: not self._running, timeout=30)
