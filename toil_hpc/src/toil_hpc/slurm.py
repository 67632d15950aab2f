"""The ``slurm`` batch system: sbatch to submit, squeue (then sacct) to poll, scancel to kill.

Each job is a ``sbatch --wrap`` script that exports the job's environment and runs the Toil
worker. Cores become ``--cpus-per-task``, memory ``--mem`` (MiB), GPUs ``--gres=gpu[:model]:N``;
multi-core jobs go to the ``TOIL_SLURM_PE`` partition when it is set, and ``TOIL_SLURM_ARGS`` is
added to every submission. Finished jobs are read from ``squeue --states=all`` while Slurm
remembers them (MinJobAge) and from ``sacct`` after that, when accounting is enabled.
"""
from __future__ import annotations

import logging
import os
import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from toil_core.plugin_api import EXIT_STATUS_UNAVAILABLE_VALUE, BatchJobExitReason
from toil_core.plugin_api import settings_from

from toil_hpc.grid_engine_base import (
    DONE,
    PENDING,
    RUNNING,
    AbstractGridEngineBatchSystem,
    JobStatus,
    SchedulerCommandError,
    check_no_resource_args,
    job_script,
    parse_duration,
    run_scheduler_command,
    split_args,
)
from toil_hpc.settings import SlurmSettings

if TYPE_CHECKING:
    from toil_core.plugin_api import Config

logger = logging.getLogger(__name__)

#: Slurm job states that are over, with the exit reason they imply (None: from the exit code).
_TERMINAL: Dict[str, Optional[BatchJobExitReason]] = {
    "COMPLETED": None, "FAILED": None, "CANCELLED": BatchJobExitReason.KILLED,
    "TIMEOUT": BatchJobExitReason.KILLED, "DEADLINE": BatchJobExitReason.KILLED,
    "PREEMPTED": BatchJobExitReason.KILLED, "OUT_OF_MEMORY": BatchJobExitReason.MEMLIMIT,
    "NODE_FAIL": BatchJobExitReason.LOST, "BOOT_FAIL": BatchJobExitReason.LOST,
    "REVOKED": BatchJobExitReason.LOST, "SPECIAL_EXIT": None,
}
_RUNNING = {"RUNNING", "COMPLETING", "SIGNALING", "STAGE_OUT", "SUSPENDED", "STOPPED", "RESIZING"}
_MESSAGES = {"TIMEOUT": "it reached its time limit", "DEADLINE": "it reached its deadline",
             "PREEMPTED": "it was preempted", "NODE_FAIL": "its node failed", "BOOT_FAIL": "its node failed to boot",
             "CANCELLED": "it was cancelled (scancel or an administrator)"}
_MEMORY_KILL = re.compile(r"(exceeded (job )?memory limit|oom[- _]kill|out of memory)", re.IGNORECASE)
#: sbatch options that Toil sets itself and TOIL_SLURM_ARGS must not repeat.
_RESOURCE_OPTIONS = ("--mem", "--mem-per-cpu", "--mem-per-gpu", "--cpus-per-task", "-c", "--ntasks", "-n")
_CHUNK = 400


class SlurmBatchSystem(AbstractGridEngineBatchSystem):
    """Runs each Toil job as one Slurm batch job."""

    scheduler_label = "Slurm"

    def __init__(self, config: Config, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        self.settings: SlurmSettings = settings_from(config, SlurmSettings)
        self.extra_args = split_args("TOIL_SLURM_ARGS", self.settings.slurm_args)
        check_no_resource_args("TOIL_SLURM_ARGS", self.extra_args, _RESOURCE_OPTIONS)
        self._sacct_works: Optional[bool] = None
        self._max_gpus: Optional[int] = None
        super().__init__(config, maxCores, maxMemory, maxDisk)

    # ------------------------------------------------------------------ submitting
    def prepareSubmission(self, cpu: int, memory: int, jobID: int, command: str, jobName: str,
                          job_environment: Optional[Dict[str, str]] = None,
                          gpus: Optional[List[Dict[str, Any]]] = None) -> List[str]:
        line = ["sbatch", "--parsable", f"--job-name={self.job_name(jobID, jobName)}",
                f"--output={self.std_path(jobID, '%j', 'std_output')}",
                f"--error={self.std_path(jobID, '%j', 'std_error')}",
                f"--cpus-per-task={int(cpu)}", "--ntasks=1", "--nodes=1"]
        if memory:
            line.append(f"--mem={self.memory_mib(memory)}M")
        for gpu in gpus or []:
            if gpu.get("kind", "gpu") == "gpu":
                model = gpu.get("model")
                line.append(f"--gres=gpu:{model + ':' if model else ''}{int(gpu.get('count', 1))}")
        if int(cpu) > 1 and self.settings.slurm_pe:
            line.append(f"--partition={self.settings.slurm_pe}")
        line += self.extra_args
        line += ["--wrap", job_script(command, job_environment or {}).split("\n", 1)[1]]
        return line

    def parse_submission_output(self, output: str) -> str:
        # --parsable prints "JOBID" or "JOBID;CLUSTER"
        first = output.strip().splitlines()[-1] if output.strip() else ""
        job_id = first.split(";")[0].strip()
        if not job_id.isdigit():
            raise SchedulerCommandError(["sbatch"], 0, f"unexpected output from sbatch: {output!r}")
        return job_id

    def max_accelerators(self) -> Optional[int]:
        if self._max_gpus is None:
            try:
                out = run_scheduler_command(["sinfo", "-h", "-N", "-o", "%G"], timeout=60)
            except SchedulerCommandError as exc:
                logger.debug("Cannot read the GPUs of the Slurm nodes: %s", exc)
                return None
            counts = [0]
            for gres in out.split():
                for item in gres.split(","):
                    match = re.match(r"gpu(?::[^:(]+)?:(\d+)", item)
                    if match:
                        counts.append(int(match.group(1)))
            self._max_gpus = max(counts)
        return self._max_gpus

    # ------------------------------------------------------------------ polling
    def query_jobs(self, scheduler_ids: List[str]) -> Dict[str, JobStatus]:
        found: Dict[str, JobStatus] = {}
        for start in range(0, len(scheduler_ids), _CHUNK):
            found.update(self._squeue(scheduler_ids[start:start + _CHUNK]))
        missing = [i for i in scheduler_ids if i not in found]
        for start in range(0, len(missing), _CHUNK):
            found.update(self._sacct(missing[start:start + _CHUNK]))
        return found

    def _squeue(self, ids: List[str]) -> Dict[str, JobStatus]:
        args = ["squeue", "-h", "--states=all", "-j", ",".join(ids),
                "-O", "JobID:|,State:|,TimeUsed:|,exit_code:|,Reason"]
        try:
            out = run_scheduler_command(args, timeout=120)
        except SchedulerCommandError as exc:
            if "Invalid job id" in exc.stderr:  # none of them is known any more
                return {}
            raise
        statuses: Dict[str, JobStatus] = {}
        for line in out.splitlines():
            fields = [f.strip() for f in line.split("|")]
            if len(fields) < 5 or fields[0] not in ids:
                continue
            job_id, state, used, raw_status, reason = fields[:5]
            code, signal = _split_wait_status(raw_status)
            statuses[job_id] = self._status(job_id, state, parse_duration(used), code, signal, reason)
        return statuses

    def _sacct(self, ids: List[str]) -> Dict[str, JobStatus]:
        if not ids or self._sacct_works is False:
            return {}
        args = ["sacct", "-n", "-P", "-X", "-j", ",".join(ids), "--format", "JobIDRaw,State,ExitCode,ElapsedRaw"]
        try:
            out = run_scheduler_command(args, timeout=120)
        except SchedulerCommandError as exc:
            if "accounting storage is disabled" in exc.stderr.lower() or exc.returncode is None:
                logger.debug("sacct is not available (%s); finished jobs are read from squeue only", exc)
                self._sacct_works = False
                return {}
            raise
        self._sacct_works = True
        statuses: Dict[str, JobStatus] = {}
        for line in out.splitlines():
            fields = line.split("|")
            if len(fields) < 4 or fields[0] not in ids:
                continue
            job_id, state, exit_code, elapsed = fields[:4]
            code_text, _, signal_text = exit_code.partition(":")
            code = int(code_text) if code_text.isdigit() else None
            signal = int(signal_text) if signal_text.isdigit() else 0
            statuses[job_id] = self._status(job_id, state.split()[0] if state else "", parse_duration(elapsed),
                                            code, signal, "")
        return statuses

    def _status(self, job_id: str, state: str, elapsed: Optional[float], code: Optional[int], signal: int,
                reason: str) -> JobStatus:
        state = state.upper().rstrip("+")
        if state in _RUNNING:
            return JobStatus(RUNNING, elapsed=elapsed)
        if state not in _TERMINAL:
            return JobStatus(PENDING)
        exit_reason = _TERMINAL[state]
        if signal:
            exit_code = 128 + signal
            exit_reason = exit_reason or BatchJobExitReason.KILLED
        else:
            exit_code = code if code is not None else EXIT_STATUS_UNAVAILABLE_VALUE
        message = _MESSAGES.get(state)
        if state == "OUT_OF_MEMORY":
            message = "Slurm reports OUT_OF_MEMORY"
        elif exit_code != 0:
            memory_line = self._memory_kill_line(job_id)
            if memory_line:
                exit_reason, message = BatchJobExitReason.MEMLIMIT, memory_line
        if exit_code == 0 and exit_reason is None:
            exit_reason = BatchJobExitReason.FINISHED
        if message is None and reason not in ("", "None", "NonZeroExitCode") and exit_code != 0:
            message = f"Slurm state {state}, reason {reason}"
        return JobStatus(DONE, exit_code, exit_reason or BatchJobExitReason.FAILED, elapsed, message)

    def _memory_kill_line(self, job_id: str) -> Optional[str]:
        """slurmstepd's own explanation when it killed the job for its memory use."""
        with self._cond:
            batch_id = next((j.batch_id for j in self._jobs.values() if j.scheduler_id == job_id), None)
        if batch_id is None:
            return None
        path = self.std_path(batch_id, job_id, "std_error")
        try:
            with open(path, "rb") as handle:
                handle.seek(max(0, os.path.getsize(path) - 16384))
                tail = handle.read().decode("utf-8", errors="replace")
        except OSError:
            return None
        lines = [line.strip() for line in tail.splitlines() if _MEMORY_KILL.search(line)]
        return lines[0] if lines else None

    # ------------------------------------------------------------------ killing
    def killJob(self, jobID: str) -> None:
        self.kill_jobs([jobID])

    def kill_jobs(self, scheduler_ids: List[str]) -> None:
        for start in range(0, len(scheduler_ids), _CHUNK):
            run_scheduler_command(["scancel", *scheduler_ids[start:start + _CHUNK]], timeout=120, retries=2)


def _split_wait_status(raw: str) -> "tuple[Optional[int], int]":
    """squeue's exit_code is a wait(2) status: (exit code, signal)."""
    try:
        status = int(raw)
    except ValueError:
        code_text, _, signal_text = raw.partition(":")
        return (int(code_text) if code_text.isdigit() else None), (int(signal_text) if signal_text.isdigit() else 0)
    return (status >> 8) & 0xFF, status & 0x7F


__all__ = ["SlurmBatchSystem"]
