"""The ``torque`` batch system (Torque / OpenPBS-style ``qsub``): qsub to submit, ``qstat -f`` to
poll, qdel to kill.

The job script goes to ``qsub`` on stdin with ``-V``; cores and memory become
``-l nodes=1:ppn=CORES,mem=MBmb``; ``TOIL_TORQUE_REQS`` adds another ``-l`` and ``TOIL_TORQUE_ARGS``
any other qsub options. Torque does not expand the job ID in ``-o``/``-e``, so the script itself
redirects its output into the batch logs directory using ``$PBS_JOBID``. Finished jobs are read
from ``qstat -f`` (state C, kept for the server's ``keep_completed`` seconds).

Tested against recorded ``qsub``/``qstat -f``/``qdel`` output (no Torque server can be installed
on the test machines); see tests/hpc/recorded/torque.
"""
from __future__ import annotations

import logging
import re
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
    check_no_resource_args,
    job_script,
    parse_duration,
    run_scheduler_command,
    run_scheduler_query,
    shell_path_with_variable,
    split_args,
)
from toil_hpc.settings import TorqueSettings

if TYPE_CHECKING:
    from toil_core.plugin_api import Config

logger = logging.getLogger(__name__)

_PLACEHOLDER = "@TOIL_PBS_JOBID@"
#: Torque's own negative exit statuses (JOB_EXEC_*): reason and explanation.
_SPECIAL_EXITS: Dict[int, Tuple[BatchJobExitReason, str]] = {
    -10: (BatchJobExitReason.MEMLIMIT, "it exceeded its memory limit"),
    -11: (BatchJobExitReason.KILLED, "it exceeded its walltime limit"),
    -12: (BatchJobExitReason.KILLED, "it exceeded its CPU time limit"),
}


def parse_qstat_f(text: str) -> Dict[str, Dict[str, str]]:
    """``qstat -f`` output as {job id: {attribute: value}} (continuation lines joined)."""
    jobs: Dict[str, Dict[str, str]] = {}
    current: Optional[Dict[str, str]] = None
    last_key: Optional[str] = None
    for line in text.splitlines():
        match = re.match(r"^Job Id:\s*(\S+)", line)
        if match:
            current = jobs.setdefault(match.group(1), {})
            last_key = None
            continue
        if current is None or not line.strip():
            continue
        if line.startswith("\t") and last_key is not None:  # continuation of a long value
            current[last_key] += line.strip()
            continue
        pair = re.match(r"^\s+([\w.]+)\s*=\s?(.*)$", line)
        if pair:
            last_key = pair.group(1)
            current[last_key] = pair.group(2).strip()
    return jobs


def torque_status(record: Dict[str, str]) -> JobStatus:
    """A :class:`JobStatus` from one job's ``qstat -f`` attributes."""
    state = record.get("job_state", "")
    elapsed = parse_duration(record.get("resources_used.walltime", ""))
    if state in ("R", "E"):
        return JobStatus(RUNNING, elapsed=elapsed)
    if state != "C":
        return JobStatus(PENDING)
    text = record.get("exit_status")
    if text is None or not re.fullmatch(r"-?\d+", text.strip()):
        return JobStatus(DONE, EXIT_STATUS_UNAVAILABLE_VALUE, BatchJobExitReason.KILLED, elapsed,
                         "it was deleted before it started (no exit status)")
    code = int(text)
    if code in _SPECIAL_EXITS:
        reason, message = _SPECIAL_EXITS[code]
        return JobStatus(DONE, EXIT_STATUS_UNAVAILABLE_VALUE, reason, elapsed, message)
    if code < 0:
        return JobStatus(DONE, EXIT_STATUS_UNAVAILABLE_VALUE, BatchJobExitReason.ERROR, elapsed,
                         f"Torque could not run it (exit_status {code})")
    if code > 256:  # killed by a signal: 256 + signal number
        return JobStatus(DONE, 128 + code - 256, BatchJobExitReason.KILLED, elapsed,
                         f"it was killed by signal {code - 256}")
    return JobStatus(DONE, code, None, elapsed)


class TorqueBatchSystem(AbstractGridEngineBatchSystem):
    """Runs each Toil job as one Torque job."""

    scheduler_label = "Torque"

    def __init__(self, config: Config, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        self.settings: TorqueSettings = settings_from(config, TorqueSettings)
        self.extra_args = split_args("TOIL_TORQUE_ARGS", self.settings.torque_args)
        reqs = (self.settings.torque_reqs or "").strip()
        check_no_resource_args("TOIL_TORQUE_REQS", [r.strip() for r in reqs.split(",") if r.strip()],
                               ("mem", "pmem", "vmem", "nodes", "ppn", "ncpus", "procs"))
        self.extra_reqs = reqs
        super().__init__(config, maxCores, maxMemory, maxDisk)

    def prepareSubmission(self, cpu: int, memory: int, jobID: int, command: str, jobName: str,
                          job_environment: Optional[Dict[str, str]] = None,
                          gpus: Optional[List[Dict[str, Any]]] = None) -> Tuple[List[str], str]:
        resources = f"nodes=1:ppn={int(cpu)}"
        count = sum(int(g.get("count", 1)) for g in gpus or [] if g.get("kind", "gpu") == "gpu")
        if count:
            resources += f":gpus={count}"
        if memory:
            resources += f",mem={self.memory_mib(memory)}mb"
        line = ["qsub", "-V", "-N", self.job_name(jobID, jobName, 15), "-o", "/dev/null", "-e", "/dev/null",
                "-l", resources]
        if self.extra_reqs:
            line += ["-l", self.extra_reqs]
        line += self.extra_args
        out = shell_path_with_variable(self.std_path(jobID, _PLACEHOLDER, "std_output"), _PLACEHOLDER, "PBS_JOBID")
        err = shell_path_with_variable(self.std_path(jobID, _PLACEHOLDER, "std_error"), _PLACEHOLDER, "PBS_JOBID")
        script = job_script(command, job_environment or {})
        header, body = script.split("\n", 1)
        return line, f"{header}\nexec >{out} 2>{err}\ncd \"${{PBS_O_WORKDIR:-.}}\" 2>/dev/null\n{body}"

    def submitJob(self, subLine: Any) -> str:
        args, script = subLine
        output = run_scheduler_command(args, input=script, timeout=120).strip()
        if not re.fullmatch(r"\d+(\.\S+)?", output.splitlines()[-1] if output else ""):
            raise SchedulerCommandError(args, 0, f"unexpected output from qsub: {output!r}")
        return output.splitlines()[-1]

    def query_jobs(self, scheduler_ids: List[str]) -> Dict[str, JobStatus]:
        statuses: Dict[str, JobStatus] = {}
        for start in range(0, len(scheduler_ids), 200):
            chunk = scheduler_ids[start:start + 200]
            proc = run_scheduler_query(["qstat", "-f", *chunk], timeout=120)
            records = parse_qstat_f(proc.stdout)
            if proc.returncode != 0 and not records and "Unknown Job Id" not in (proc.stderr or ""):
                raise SchedulerCommandError(["qstat", "-f", *chunk], proc.returncode, proc.stderr)
            for job_id in chunk:
                record = records.get(job_id) or next(
                    (r for key, r in records.items() if key.split(".")[0] == job_id.split(".")[0]), None)
                if record is not None:
                    statuses[job_id] = torque_status(record)
        return statuses

    def killJob(self, jobID: str) -> None:
        self.kill_jobs([jobID])

    def kill_jobs(self, scheduler_ids: List[str]) -> None:
        proc = run_scheduler_query(["qdel", *scheduler_ids], timeout=120)
        if proc.returncode != 0 and "Unknown Job Id" not in (proc.stderr or "") \
                and "invalid state" not in (proc.stderr or ""):
            raise SchedulerCommandError(["qdel", *scheduler_ids], proc.returncode, proc.stderr)
