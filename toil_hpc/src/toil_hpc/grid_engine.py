"""The ``grid_engine`` batch system (Son of Grid Engine, Univa/Altair Grid Engine): qsub to submit,
qstat and qacct to poll, qdel to kill.

The job script goes to ``qsub`` on stdin (``-S /bin/sh``, ``-V``, ``-cwd``). Multi-core jobs ask for
``-pe $TOIL_GRIDENGINE_PE CORES`` (default ``smp``); memory becomes ``-l h_vmem=`` per slot unless
``--manualMemArgs`` is given (then ``TOIL_GRIDENGINE_ARGS`` must carry the memory request).
Running jobs are read from ``qstat``; finished ones from ``qacct -j`` (its accounting file is
written a few seconds after the job ends). ``h_vmem`` limits address space: a job that reaches it
fails (MemoryError or killed by execd) and is reported with exit reason MEMLIMIT.
"""
from __future__ import annotations

import getpass
import logging
import math
import re
import time
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from toil_core.plugin_api import EXIT_STATUS_UNAVAILABLE_VALUE, BatchJobExitReason
from toil_core.plugin_api import settings_from

from toil_hpc.grid_engine_base import (
    DONE,
    PENDING,
    RUNNING,
    AbstractGridEngineBatchSystem,
    JobStatus,
    SchedulerCommandError,
    job_script,
    parse_duration,
    run_scheduler_command,
    run_scheduler_query,
    split_args,
)
from toil_hpc.settings import GridEngineSettings

if TYPE_CHECKING:
    from toil_core.plugin_api import Config

logger = logging.getLogger(__name__)

#: h_vmem caps the address space; a Python worker maps ~300 MiB before it does any work, so a
#: smaller request could never run. Requests below this are raised to it.
MIN_H_VMEM = 512 * 1024 * 1024
_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "M": 1024 ** 2, "MB": 1024 ** 2, "G": 1024 ** 3, "GB": 1024 ** 3,
          "T": 1024 ** 4, "TB": 1024 ** 4}


def parse_sge_size(text: str) -> Optional[float]:
    """Bytes in a qacct/complex size such as ``3.508MB``, ``500M`` or ``1.2G``."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([KMGT]?B?)\s*", (text or "").upper())
    if not match:
        return None
    return float(match.group(1)) * _UNITS[match.group(2)]


class GridEngineBatchSystem(AbstractGridEngineBatchSystem):
    """Runs each Toil job as one Grid Engine job."""

    scheduler_label = "Grid Engine"

    def __init__(self, config: Config, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        self.settings: GridEngineSettings = settings_from(config, GridEngineSettings)
        self.extra_args = split_args("TOIL_GRIDENGINE_ARGS", self.settings.grid_engine_args)
        pe = split_args("TOIL_GRIDENGINE_PE", self.settings.grid_engine_pe)
        self.parallel_env = pe[-1] if pe else "smp"  # accept both "smp" and "-pe smp"
        self.manual_mem = bool(config.manualMemArgs)
        if self.manual_mem and not self.extra_args:
            raise ValueError("--manualMemArgs needs TOIL_GRIDENGINE_ARGS (with your own memory request, "
                             "e.g. TOIL_GRIDENGINE_ARGS='-l mem_free=4G').")
        self.user = getpass.getuser()
        self._limits: Dict[str, float] = {}
        super().__init__(config, maxCores, maxMemory, maxDisk)

    # ------------------------------------------------------------------ submitting
    def prepareSubmission(self, cpu: int, memory: int, jobID: int, command: str, jobName: str,
                          job_environment: Optional[Dict[str, str]] = None,
                          gpus: Optional[List[Dict[str, Any]]] = None) -> Tuple[List[str], str]:
        if gpus:
            raise ValueError("The grid_engine batch system cannot request accelerators (GPUs); ask for them "
                             "with TOIL_GRIDENGINE_ARGS (e.g. '-l gpu=1') and drop them from the job.")
        line = ["qsub", "-terse", "-V", "-cwd", "-S", "/bin/sh", "-N", self.job_name(jobID, jobName, 64),
                "-o", self.std_path(jobID, "$JOB_ID", "std_output"),
                "-e", self.std_path(jobID, "$JOB_ID", "std_error")]
        if int(cpu) > 1:
            line += ["-pe", self.parallel_env, str(int(cpu))]
        if not self.manual_mem and memory:
            per_slot = math.ceil(max(int(memory), MIN_H_VMEM) / max(1, int(cpu)) / 1024 / 1024)
            line += ["-l", f"h_vmem={per_slot}M"]
        line += self.extra_args
        return line, job_script(command, job_environment or {})

    def submitJob(self, subLine: Any) -> str:
        args, script = subLine
        output = run_scheduler_command(args, input=script, timeout=120)
        job_id = output.strip().split(".")[0]
        if not job_id.isdigit():
            raise SchedulerCommandError(args, 0, f"unexpected output from qsub: {output!r}")
        return job_id

    # ------------------------------------------------------------------ polling
    def query_jobs(self, scheduler_ids: List[str]) -> Dict[str, JobStatus]:
        wanted = set(scheduler_ids)
        statuses: Dict[str, JobStatus] = {}
        errored: List[str] = []
        out = run_scheduler_command(["qstat", "-u", self.user], timeout=120)
        for line in out.splitlines():
            fields = line.split()
            if len(fields) < 5 or fields[0] not in wanted or fields[0] in statuses:
                continue
            job_id, state = fields[0], fields[4]
            if "E" in state:
                errored.append(job_id)
            elif "r" in state or "t" in state or "R" in state or "s" in state.lower():
                statuses[job_id] = JobStatus(RUNNING, elapsed=_elapsed_since(fields[5:7]))
            else:
                statuses[job_id] = JobStatus(PENDING)
        for job_id in errored:
            statuses[job_id] = self._error_state(job_id)
        for job_id in scheduler_ids:
            if job_id not in statuses:
                finished = self._qacct(job_id)
                if finished is not None:
                    statuses[job_id] = finished
        return statuses

    def _error_state(self, job_id: str) -> JobStatus:
        """A job in state Eqw never runs: delete it and report why."""
        try:
            details = run_scheduler_command(["qstat", "-j", job_id], timeout=60)
            reasons = [line.split(":", 1)[1].strip() for line in details.splitlines() if line.startswith("error")]
        except SchedulerCommandError as exc:
            reasons = [str(exc)]
        try:
            run_scheduler_command(["qdel", job_id], timeout=60)
        except SchedulerCommandError as exc:
            logger.warning("Could not delete Grid Engine job %s in error state: %s", job_id, exc)
        return JobStatus(DONE, EXIT_STATUS_UNAVAILABLE_VALUE, BatchJobExitReason.ERROR,
                         message=f"the job was in error state (Eqw) and was deleted: {'; '.join(reasons) or '?'}")

    def _qacct(self, job_id: str) -> Optional[JobStatus]:
        try:
            out = run_scheduler_command(["qacct", "-j", job_id], timeout=120)
        except SchedulerCommandError as exc:
            if "not found" in exc.stderr or exc.returncode == 1:
                return None  # not in the accounting file yet
            raise
        record: Dict[str, str] = {}
        for line in out.splitlines():
            key, _, value = line.partition(" ")
            if key and not key.startswith("="):
                record[key] = value.strip()  # the last record wins (a job ID can be reused)
        return self._finished(job_id, record)

    def _finished(self, job_id: str, record: Dict[str, str]) -> JobStatus:
        failed_text = record.get("failed", "0")
        failed_number = failed_text.split(":")[0].strip()
        failed = int(failed_number) if failed_number.isdigit() else 0
        exit_text = record.get("exit_status", "").split()
        exit_code = int(exit_text[0]) if exit_text and exit_text[0].isdigit() else EXIT_STATUS_UNAVAILABLE_VALUE
        wall = parse_duration(record.get("ru_wallclock", "").rstrip("s"))
        reason: Optional[BatchJobExitReason] = None
        message: Optional[str] = None
        limit = self._h_vmem_limit(record.get("category", ""), record.get("slots", "1"))
        used = parse_sge_size(record.get("maxvmem", ""))
        if exit_code != 0 and limit and used and used >= 0.9 * limit:
            reason = BatchJobExitReason.MEMLIMIT
            message = f"its peak virtual memory {used / 2**20:.0f} MiB reached the h_vmem limit {limit / 2**20:.0f} MiB"
        elif failed and exit_code > 128:
            reason = BatchJobExitReason.KILLED
            message = f"it was killed (signal {exit_code - 128}; qacct: failed {failed_text})"
        elif failed and exit_code == 0:
            reason, exit_code = BatchJobExitReason.ERROR, EXIT_STATUS_UNAVAILABLE_VALUE
            message = f"Grid Engine could not run it (qacct: failed {failed_text})"
        return JobStatus(DONE, exit_code, reason, wall, message)

    @staticmethod
    def _h_vmem_limit(category: str, slots: str) -> Optional[float]:
        match = re.search(r"h_vmem=([0-9.]+[KMGT]?)", category)
        per_slot = parse_sge_size(match.group(1)) if match else None
        return per_slot * max(1, int(slots)) if per_slot and slots.strip().isdigit() else per_slot

    # ------------------------------------------------------------------ killing
    def killJob(self, jobID: str) -> None:
        self.kill_jobs([jobID])

    def kill_jobs(self, scheduler_ids: List[str]) -> None:
        for start in range(0, len(scheduler_ids), 200):
            try:
                run_scheduler_command(["qdel", *scheduler_ids[start:start + 200]], timeout=120, retries=2)
            except SchedulerCommandError as exc:
                if "does not exist" not in exc.stderr:
                    raise
        self._force_stuck_deletions(set(scheduler_ids))

    def _force_stuck_deletions(self, ids: "set[str]") -> None:
        """A job deleted while its execd is still starting it can miss the kill and stay in state
        ``dr`` until it ends by itself; ``qdel -f`` makes the execd kill it (managers, or users when
        the cluster sets ENABLE_FORCED_QDEL)."""
        deadline = time.time() + 1.5
        while ids and time.time() < deadline:
            time.sleep(0.5)
            try:
                out = run_scheduler_command(["qstat", "-u", self.user], timeout=60)
            except SchedulerCommandError:
                return
            listed = {f[0] for f in (line.split() for line in out.splitlines()) if len(f) > 4 and f[0] in ids}
            ids = ids & listed
        if ids:
            proc = run_scheduler_query(["qdel", "-f", *sorted(ids)], timeout=120)
            if proc.returncode != 0:
                logger.warning("Grid Engine jobs %s are still being deleted: %s", ", ".join(sorted(ids)),
                               proc.stderr.strip())


def _elapsed_since(fields: List[str]) -> Optional[float]:
    """Seconds since qstat's "submit/start at" column (``MM/DD/YYYY HH:MM:SS``, local time)."""
    try:
        started = time.mktime(time.strptime(" ".join(fields), "%m/%d/%Y %H:%M:%S"))
    except (ValueError, OverflowError):
        return None
    return max(0.0, time.time() - started)

