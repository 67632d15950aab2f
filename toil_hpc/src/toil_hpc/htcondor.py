"""The ``htcondor`` batch system: jobs go to an HTCondor schedd through the ``htcondor`` Python
bindings (``pip install 'toil-hpc[htcondor]'``; the v1 ``htcondor`` module of htcondor 24, or
``htcondor2``).

Each Toil job is one cluster with one proc: ``/bin/sh -c COMMAND`` with the job's environment,
``request_cpus``/``request_memory``/``request_disk``/``request_gpus`` from its requirements, stdout,
stderr and the job event log (``job_events``) in the batch logs directory, no file transfer (a
shared filesystem is assumed; jobs start in the batch logs directory). ``TOIL_HTCONDOR_PARAMS`` ("key = value; key2 = value2") is merged
into every submit description. ``TOIL_HTCONDOR_COLLECTOR`` / ``TOIL_HTCONDOR_SCHEDD`` choose a
remote pool and schedd; by default the local schedd is used. Jobs that go on hold are removed
and reported as failed (MEMLIMIT when the hold is about memory).
"""
from __future__ import annotations

import logging
import threading
import time
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
)
from toil_hpc.settings import HTCondorSettings

if TYPE_CHECKING:
    from toil_core.plugin_api import Config

logger = logging.getLogger(__name__)

_PROJECTION = ["ClusterId", "JobStatus", "ExitCode", "ExitBySignal", "ExitSignal", "HoldReason",
               "HoldReasonCode", "JobCurrentStartDate", "JobStartDate", "CompletionDate", "EnteredCurrentStatus",
               "RemoteWallClockTime", "RemoveReason"]
_IDLE, _RUNNING, _REMOVED, _COMPLETED, _HELD, _TRANSFERRING, _SUSPENDED = 1, 2, 3, 4, 5, 6, 7


def import_bindings() -> Any:
    """The htcondor bindings module (v1 API first, then htcondor2), or a clear ImportError."""
    errors = []
    for name in ("htcondor", "htcondor2"):
        try:
            return __import__(name)
        except ImportError as exc:
            errors.append(f"{name}: {exc}")
    raise ImportError("The htcondor batch system needs the HTCondor Python bindings: "
                      "pip install 'toil-hpc[htcondor]' (htcondor>=24,<25). " + "; ".join(errors))


def parse_params(text: str) -> Dict[str, str]:
    """``"k = v; k2 = v2"`` (TOIL_HTCONDOR_PARAMS) as a dict."""
    params: Dict[str, str] = {}
    for item in (text or "").split(";"):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"TOIL_HTCONDOR_PARAMS: {item.strip()!r} is not 'key = value'")
        params[key.strip()] = value.strip()
    return params


def _quote_new_syntax(word: str) -> str:
    """One word in HTCondor's new argument/environment syntax (single-quoted, quotes doubled)."""
    return "'" + word.replace("'", "''").replace('"', '""') + "'"


def condor_arguments(words: List[str]) -> str:
    return '"' + " ".join(_quote_new_syntax(w) for w in words) + '"'


def condor_environment(environment: Dict[str, str]) -> str:
    entries = []
    for key, value in environment.items():
        if "\n" in value or "\r" in value or not key.replace("_", "").isalnum():
            logger.warning("Not passing environment variable %s to HTCondor jobs (unsupported characters).", key)
            continue
        entries.append(f"{key}={_quote_new_syntax(value)}")
    return '"' + " ".join(entries) + '"'


class HTCondorBatchSystem(AbstractGridEngineBatchSystem):
    """Runs each Toil job as one HTCondor job."""

    scheduler_label = "HTCondor"

    def __init__(self, config: Config, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        self.settings: HTCondorSettings = settings_from(config, HTCondorSettings)
        self.params = parse_params(self.settings.htcondor_params)
        self.htcondor = import_bindings()
        self._api_lock = threading.RLock()
        self._schedd: Any = None
        self._max_gpus: Optional[int] = None
        super().__init__(config, maxCores, maxMemory, maxDisk)

    # ------------------------------------------------------------------ bindings
    def schedd(self) -> Any:
        with self._api_lock:
            if self._schedd is None:
                collector, name = self.settings.htcondor_collector, self.settings.htcondor_schedd
                if collector or name:
                    coll = self.htcondor.Collector(collector) if collector else self.htcondor.Collector()
                    ad = coll.locate(self.htcondor.DaemonTypes.Schedd, name) if name else \
                        coll.locate(self.htcondor.DaemonTypes.Schedd)
                    self._schedd = self.htcondor.Schedd(ad)
                else:
                    self._schedd = self.htcondor.Schedd()
            return self._schedd

    def _call(self, what: str, *args: Any, **kwargs: Any) -> Any:
        """Call a Schedd method; binding errors become SchedulerCommandError (retried by the base)."""
        with self._api_lock:
            try:
                return getattr(self.schedd(), what)(*args, **kwargs)
            except Exception as exc:
                self._schedd = None  # reconnect next time (the schedd may have restarted)
                raise SchedulerCommandError([f"Schedd.{what}"], 1, f"{type(exc).__name__}: {exc}") from exc

    # ------------------------------------------------------------------ submitting
    def prepareSubmission(self, cpu: int, memory: int, jobID: int, command: str, jobName: str,
                          job_environment: Optional[Dict[str, str]] = None,
                          gpus: Optional[List[Dict[str, Any]]] = None) -> Dict[str, str]:
        if "\n" in command:
            raise ValueError("The htcondor batch system cannot run a command with several lines")
        with self._cond:
            job = self._jobs.get(jobID)
        disk = int(getattr(job.desc, "disk", 0) or 0) if job is not None else 0
        description = {
            "universe": "vanilla",
            "executable": "/bin/sh",
            "arguments": condor_arguments(["-c", command]),
            "environment": condor_environment(job_environment or {}),
            "output": self.std_path(jobID, "$(Cluster)", "std_output"),
            "error": self.std_path(jobID, "$(Cluster)", "std_error"),
            "log": self.std_path(jobID, "$(Cluster)", "job_events"),
            "request_cpus": str(int(cpu)),
            "request_memory": f"{self.memory_mib(memory)}MB",
            "request_disk": f"{max(1, (disk + 1023) // 1024)}KB",
            "should_transfer_files": "NO",
            "transfer_executable": "False",
            # where the job's output goes must exist on the execute node; the leader's cwd need not
            "initialdir": self.get_batch_logs_dir(),
            "+ToilBatchJobID": str(jobID),
            "+ToilJobName": '"' + self.job_name(jobID, jobName).replace('"', "") + '"',
        }
        count = sum(int(g.get("count", 1)) for g in gpus or [] if g.get("kind", "gpu") == "gpu")
        if count:
            description["request_gpus"] = str(count)
        description.update(self.params)
        return description

    def submitJob(self, subLine: Any) -> str:
        submit = self.htcondor.Submit(subLine)
        result = self._call("submit", submit)
        return str(result.cluster())

    def max_accelerators(self) -> Optional[int]:
        if self._max_gpus is None:
            try:
                ad_type = getattr(self.htcondor, "AdTypes", None) or getattr(self.htcondor, "AdType")
                collector = self.settings.htcondor_collector
                coll = self.htcondor.Collector(collector) if collector else self.htcondor.Collector()
                ads = coll.query(ad_type.Startd, projection=["TotalGPUs", "GPUs"])
            except Exception as exc:  # no collector: do not guess
                logger.debug("Cannot read the GPUs of the HTCondor pool: %s", exc)
                return None
            self._max_gpus = max([int(ad.get("TotalGPUs", ad.get("GPUs", 0)) or 0) for ad in ads] + [0])
        return self._max_gpus

    # ------------------------------------------------------------------ polling
    def query_jobs(self, scheduler_ids: List[str]) -> Dict[str, JobStatus]:
        ids = [int(i) for i in scheduler_ids]
        constraint = "member(ClusterId, {%s})" % ", ".join(map(str, ids))
        statuses: Dict[str, JobStatus] = {}
        held: List[str] = []
        for ad in self._call("query", constraint, _PROJECTION):
            cluster = str(ad.get("ClusterId"))
            status = self._status(ad)
            if status.state == DONE and int(ad.get("JobStatus", 0)) == _HELD:
                held.append(cluster)
            statuses[cluster] = status
        missing = [i for i in ids if str(i) not in statuses]
        if missing:
            constraint = "member(ClusterId, {%s})" % ", ".join(map(str, missing))
            for ad in self._call("history", constraint, _PROJECTION, match=len(missing)):
                statuses.setdefault(str(ad.get("ClusterId")), self._status(ad))
        if held:
            self.kill_jobs(held)
        return statuses

    def _status(self, ad: Any) -> JobStatus:
        state = int(ad.get("JobStatus", 0))
        now = time.time()
        if state in (_RUNNING, _TRANSFERRING, _SUSPENDED):
            start = ad.get("JobCurrentStartDate") or ad.get("JobStartDate")
            return JobStatus(RUNNING, elapsed=max(0.0, now - float(start)) if start else None)
        if state == _IDLE:
            return JobStatus(PENDING)
        start = ad.get("JobCurrentStartDate") or ad.get("JobStartDate")
        end = ad.get("CompletionDate") or ad.get("EnteredCurrentStatus")
        wall = float(end) - float(start) if start and end and float(end) >= float(start) else None
        if state == _COMPLETED:
            if ad.get("ExitBySignal"):
                signal = int(ad.get("ExitSignal", 0) or 0)
                return JobStatus(DONE, 128 + signal, BatchJobExitReason.KILLED, wall,
                                 f"it was killed by signal {signal}")
            code = ad.get("ExitCode")
            return JobStatus(DONE, EXIT_STATUS_UNAVAILABLE_VALUE if code is None else int(code), None, wall)
        if state == _HELD:
            reason = str(ad.get("HoldReason", "") or "unknown reason")
            memory = "memory" in reason.lower() or int(ad.get("HoldReasonCode", 0) or 0) == 34
            return JobStatus(DONE, EXIT_STATUS_UNAVAILABLE_VALUE,
                             BatchJobExitReason.MEMLIMIT if memory else BatchJobExitReason.FAILED, wall,
                             f"the job was held ({reason}) and has been removed")
        if state == _REMOVED:
            why = ad.get("RemoveReason")
            return JobStatus(DONE, EXIT_STATUS_UNAVAILABLE_VALUE, BatchJobExitReason.KILLED, wall,
                             f"it was removed from the queue (condor_rm{': ' + str(why) if why else ''})")
        return JobStatus(PENDING)

    # ------------------------------------------------------------------ killing
    def killJob(self, jobID: str) -> None:
        self.kill_jobs([jobID])

    def kill_jobs(self, scheduler_ids: List[str]) -> None:
        if scheduler_ids:
            self._call("act", self.htcondor.JobAction.Remove, [f"{i}.0" for i in scheduler_ids])
