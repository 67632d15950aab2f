"""The shared base of every HPC batch system in toil-hpc.

Queueing, ``--maxJobs``, polling in batches, exit reasons, kills, ``--doubleMem`` and shutdown
come from toil-core's :class:`~toil_core.plugin_api.SubmitAndPollBatchSystem`, the base any
plugin that submits to an external scheduler can use. :class:`AbstractGridEngineBatchSystem`
adds upstream Toil's hooks for schedulers driven by command lines (upstream's
``toil.batchSystems.abstractGridEngineBatchSystem``):

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
with the command's stderr when it fails (the errors that are retried and logged).
"""
from __future__ import annotations

import logging
import re
from abc import abstractmethod
from typing import Any, Dict, List, Optional

from toil_core.plugin_api import InsufficientSystemResources, SubmitAndPollBatchSystem, SubmittedJob

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

__all__ = [
    "DONE", "PENDING", "RUNNING", "MiB", "AbstractGridEngineBatchSystem", "JobStatus", "SchedulerCommandError",
    "check_no_resource_args", "exit_reason_for", "gpu_count", "job_script", "parse_duration",
    "resolve_worker_command", "run_scheduler_command", "run_scheduler_query", "shell_path_with_variable",
    "split_args",
]

logger = logging.getLogger(__name__)

#: The base class's record of one job (the name this module used before the base moved to toil-core).
_GridJob = SubmittedJob


class AbstractGridEngineBatchSystem(SubmitAndPollBatchSystem):
    """Submits jobs through a scheduler's command line (or API) and polls for their states."""

    transient_errors = (SchedulerCommandError,)

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

    # ------------------------------------------------------------------ the base class's hooks
    def submit(self, job: SubmittedJob) -> str:
        """Build the submission with :meth:`prepareSubmission` and submit it with :meth:`submitJob`."""
        return self.submitJob(self.prepareSubmission(job.cores, job.memory, job.batch_id, job.command, job.name,
                                                     job.env, job.gpus))

    def worker_command(self, command: str) -> str:
        return resolve_worker_command(command)

    # ------------------------------------------------------------------ helpers for subclasses
    def std_path(self, batch_id: int, scheduler_id: str, std: str) -> str:
        """Where the job's stdout/stderr go (``std`` is std_output or std_error); the scheduler
        expands a placeholder such as ``%j`` given as ``scheduler_id``."""
        return self.format_std_out_err_path(batch_id, scheduler_id, std)

    def job_name(self, batch_id: int, name: str, limit: int = 128) -> str:
        cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "job"
        return f"toil_job_{batch_id}_{cleaned}"[:limit]
