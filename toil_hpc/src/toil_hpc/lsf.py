"""The ``lsf`` batch system (IBM Spectrum LSF): bsub to submit, bjobs to poll, bkill to kill.

The job script goes to ``bsub`` on stdin. Cores become ``-n CORES -R "span[hosts=1]"``, memory
``-R "select[mem>=M] rusage[mem=M]" -M M`` in the units of ``LSF_UNITS_FOR_LIMITS`` (lsf.conf,
found through ``LSF_ENVDIR``/``LSF_CONFDIR``; KB by default), divided by the cores when the
cluster reserves resources per task (``RESOURCE_RESERVE_PER_TASK=Y`` in lsb.params). GPUs become
``-gpu "num=N"``. ``TOIL_LSF_ARGS`` is added to every submission. States come from
``bjobs -json`` (LSF 10.1.0.2 and later) or, on older LSF, from ``bjobs -o ... delimiter``. A job
LSF killed for its memory (TERM_MEMLIMIT) is reported as MEMLIMIT; with ``--doubleMem`` it is
submitted again with twice the memory.

Tested against recorded ``bsub``/``bjobs``/``bkill`` output (no LSF can be installed on the test
machines); see tests/hpc/recorded/lsf.
"""
from __future__ import annotations

import glob
import json
import logging
import math
import os
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
    run_scheduler_command,
    run_scheduler_query,
    split_args,
)
from toil_hpc.settings import LSFSettings

if TYPE_CHECKING:
    from toil_core.plugin_api import Config

logger = logging.getLogger(__name__)

_FIELDS = ["jobid", "stat", "exit_code", "exit_reason", "run_time"]
_UNIT_BYTES = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3, "TB": 1024 ** 4, "PB": 1024 ** 5}
_REASONS = [
    ("TERM_MEMLIMIT", BatchJobExitReason.MEMLIMIT), ("TERM_OWNER", BatchJobExitReason.KILLED),
    ("TERM_ADMIN", BatchJobExitReason.KILLED), ("TERM_RUNLIMIT", BatchJobExitReason.KILLED),
    ("TERM_CPULIMIT", BatchJobExitReason.KILLED), ("TERM_DEADLINE", BatchJobExitReason.KILLED),
    ("TERM_PREEMPT", BatchJobExitReason.KILLED), ("TERM_REQUEUE", BatchJobExitReason.KILLED),
    ("TERM_FORCE", BatchJobExitReason.KILLED), ("TERM_HOST", BatchJobExitReason.LOST),
    ("TERM_LOAD", BatchJobExitReason.LOST), ("TERM_ZOMBIE", BatchJobExitReason.LOST),
]


def lsf_config_value(name: str, filename: str = "lsf.conf") -> Optional[str]:
    """A ``NAME=value`` setting of the LSF configuration, or None."""
    dirs = [os.environ.get("LSF_ENVDIR"), os.environ.get("LSF_CONFDIR"), "/etc"]
    for directory in [d for d in dirs if d]:
        candidates = [os.path.join(directory, filename)]
        if filename == "lsb.params":
            candidates += sorted(glob.glob(os.path.join(directory, "lsbatch", "*", "configdir", filename)))
        for path in candidates:
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    for line in handle:
                        match = re.match(rf"^\s*{re.escape(name)}\s*=\s*(\S+)", line)
                        if match:
                            return match.group(1).strip("\"'")
            except OSError:
                continue
    return None


def parse_run_time(text: str) -> Optional[float]:
    match = re.match(r"\s*(\d+)", text or "")
    return float(match.group(1)) if match else None


def lsf_status(record: Dict[str, str]) -> Optional[JobStatus]:
    """A :class:`JobStatus` from one bjobs record (keys upper case), or None for an unknown job."""
    if record.get("ERROR"):
        return None
    state = (record.get("STAT") or "").upper()
    elapsed = parse_run_time(record.get("RUN_TIME", ""))
    if state in ("RUN", "USUSP", "SSUSP"):
        return JobStatus(RUNNING, elapsed=elapsed)
    if state in ("PEND", "PSUSP", "WAIT", ""):
        return JobStatus(PENDING)
    if state == "DONE":
        return JobStatus(DONE, 0, BatchJobExitReason.FINISHED, elapsed)
    if state in ("UNKWN", "ZOMBI"):
        return JobStatus(DONE, EXIT_STATUS_UNAVAILABLE_VALUE, BatchJobExitReason.LOST, elapsed,
                         f"LSF lost track of it (state {state})")
    code_text = (record.get("EXIT_CODE") or "").strip()
    code = int(code_text) if code_text.lstrip("-").isdigit() else None
    why = (record.get("EXIT_REASON") or "").strip()
    reason = next((r for prefix, r in _REASONS if why.startswith(prefix)), None)
    if code is None or code == 0:
        code = EXIT_STATUS_UNAVAILABLE_VALUE if reason else 1
    return JobStatus(DONE, code, reason or BatchJobExitReason.FAILED, elapsed,
                     why if why and why != "-" else None)


def parse_bjobs(text: str) -> Dict[str, Dict[str, str]]:
    """bjobs output (``-json``, or ``-noheader -o ... delimiter='|'``) as {job id: record}."""
    text = text.strip()
    records: List[Dict[str, str]] = []
    if text.startswith("{"):
        for record in json.loads(text).get("RECORDS", []):
            records.append({str(k).upper(): "" if v is None else str(v) for k, v in record.items()})
    else:
        for line in text.splitlines():
            parts = line.split("|")
            if line.startswith("Job <") and "not found" in line:
                job_id = re.search(r"<(\d+)>", line)
                if job_id:
                    records.append({"JOBID": job_id.group(1), "ERROR": line.strip()})
            elif len(parts) >= len(_FIELDS):
                records.append({f.upper(): v.strip() for f, v in zip(_FIELDS, parts)})
    return {r.get("JOBID", ""): r for r in records}


class LSFBatchSystem(AbstractGridEngineBatchSystem):
    """Runs each Toil job as one LSF job."""

    scheduler_label = "LSF"

    def __init__(self, config: Config, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        self.settings: LSFSettings = settings_from(config, LSFSettings)
        self.extra_args = split_args("TOIL_LSF_ARGS", self.settings.lsf_args)
        check_no_resource_args("TOIL_LSF_ARGS", self.extra_args, ("-n", "-M"))
        units = (lsf_config_value("LSF_UNITS_FOR_LIMITS") or "KB").upper()
        self.memory_unit = units if units in _UNIT_BYTES else "KB"
        self.per_task = (lsf_config_value("RESOURCE_RESERVE_PER_TASK", "lsb.params") or "N").upper().startswith("Y")
        self._json: Optional[bool] = None
        super().__init__(config, maxCores, maxMemory, maxDisk)

    def memory_request(self, memory: int, cpu: int) -> Tuple[int, int]:
        """(rusage amount, -M limit) in LSF_UNITS_FOR_LIMITS."""
        unit = _UNIT_BYTES[self.memory_unit]
        total = max(1, math.ceil(int(memory) / unit))
        return (max(1, math.ceil(total / max(1, cpu))) if self.per_task else total), total

    def prepareSubmission(self, cpu: int, memory: int, jobID: int, command: str, jobName: str,
                          job_environment: Optional[Dict[str, str]] = None,
                          gpus: Optional[List[Dict[str, Any]]] = None) -> Tuple[List[str], str]:
        line = ["bsub", "-J", self.job_name(jobID, jobName), "-o", self.std_path(jobID, "%J", "std_output"),
                "-e", self.std_path(jobID, "%J", "std_error"), "-n", str(int(cpu)), "-R", "span[hosts=1]"]
        if memory:
            reserve, limit = self.memory_request(memory, int(cpu))
            line += ["-R", f"select[mem>={reserve}] rusage[mem={reserve}]", "-M", str(limit)]
        count = sum(int(g.get("count", 1)) for g in gpus or [] if g.get("kind", "gpu") == "gpu")
        if count:
            line += ["-gpu", f"num={count}"]
        line += self.extra_args
        return line, job_script(command, job_environment or {})

    def submitJob(self, subLine: Any) -> str:
        args, script = subLine
        output = run_scheduler_command(args, input=script, timeout=120)
        match = re.search(r"Job <(\d+)> is submitted", output)
        if not match:
            raise SchedulerCommandError(args, 0, f"unexpected output from bsub: {output!r}")
        return match.group(1)

    def query_jobs(self, scheduler_ids: List[str]) -> Dict[str, JobStatus]:
        statuses: Dict[str, JobStatus] = {}
        for start in range(0, len(scheduler_ids), 200):
            chunk = scheduler_ids[start:start + 200]
            for job_id, record in self._bjobs(chunk).items():
                status = lsf_status(record)
                if status is not None and job_id in chunk:
                    statuses[job_id] = status
        return statuses

    def _bjobs(self, ids: List[str]) -> Dict[str, Dict[str, str]]:
        if self._json is not False:
            proc = run_scheduler_query(["bjobs", "-json", "-o", " ".join(_FIELDS), *ids], timeout=120)
            if proc.stdout.strip().startswith("{"):
                self._json = True
                return parse_bjobs(proc.stdout)
            if self._json is None:
                logger.debug("bjobs -json is not supported (%s); using bjobs -o", proc.stderr.strip())
                self._json = False
            else:
                raise SchedulerCommandError(["bjobs", "-json"], proc.returncode, proc.stderr)
        fields = " ".join(_FIELDS) + " delimiter='|'"
        proc = run_scheduler_query(["bjobs", "-noheader", "-o", fields, *ids], timeout=120)
        records = parse_bjobs(proc.stdout + "\n" + proc.stderr)
        if proc.returncode != 0 and not records:
            raise SchedulerCommandError(["bjobs", "-o", fields], proc.returncode, proc.stderr)
        return records

    def killJob(self, jobID: str) -> None:
        self.kill_jobs([jobID])

    def kill_jobs(self, scheduler_ids: List[str]) -> None:
        proc = run_scheduler_query(["bkill", *scheduler_ids], timeout=120)
        if proc.returncode != 0 and "already finished" not in proc.stderr and "No matching job" not in proc.stderr:
            raise SchedulerCommandError(["bkill", *scheduler_ids], proc.returncode, proc.stderr)
