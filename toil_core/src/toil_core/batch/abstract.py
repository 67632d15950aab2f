"""The batch system interface every backend implements, and shared support code.

The leader calls these methods directly on its hot path (no plugin hooks in between):
``issueBatchJob`` for each ready job, ``getUpdatedBatchJob`` to learn of finished ones,
``killBatchJobs`` and ``getRunningBatchJobIDs`` for rescue and timeouts, ``shutdown`` at the end.
A job's work is the ``command`` string: normally ``_toil_worker JOBNAME LOCATOR JOBID``, but a
batch system must run any shell command it is given.
"""
from __future__ import annotations

import enum
import logging
import os
import shlex
import shutil
from abc import ABC, abstractmethod
from typing import Any, Callable, Dict, List, Optional

import attrs

logger = logging.getLogger(__name__)

EXIT_STATUS_UNAVAILABLE_VALUE = 255
WORKER_COMMAND = "_toil_worker"


class BatchJobExitReason(enum.IntEnum):
    FINISHED = 1
    FAILED = 2
    LOST = 3
    KILLED = 4
    ERROR = 5
    MEMLIMIT = 6


@attrs.frozen
class UpdatedBatchJobInfo:
    jobID: int
    exitStatus: int
    exitReason: Optional[BatchJobExitReason]
    wallTime: Optional[float]


@attrs.frozen
class WorkerCleanupInfo:
    work_dir: Optional[str]
    coordination_dir: Optional[str]
    workflow_id: str
    clean_work_dir: str


class InsufficientSystemResources(Exception):
    """A job asks for more of a resource than the batch system may ever give it."""

    def __init__(
        self,
        requirer: Any,
        resource: str,
        available: Any,
        batch_system: str = "this batch system",
        source: str = "",
        details: Optional[List[str]] = None,
    ) -> None:
        self.requirer = requirer
        self.resource = resource
        self.available = available
        requested = getattr(requirer, resource, None)
        option = {"cores": "--maxCores", "memory": "--maxMemory", "disk": "--maxDisk",
                  "accelerators": "--defaultAccelerators"}.get(resource, f"--max{resource.title()}")
        unit = " bytes of" if resource in ("memory", "disk") else ""
        message = (
            f"The job {requirer} is requesting {requested}{unit} {resource}, more than the maximum "
            f"of {available}{unit} {resource} that {batch_system} was configured with{source}. "
            f'Try setting/changing the toil option "{option}" or lowering the job\'s {resource} requirement.'
        )
        if resource == "disk":
            message += (
                ' Try setting/changing the toil option "--workDir" or changing the base temporary '
                "directory by setting TMPDIR."
            )
        if details:
            message += " " + " ".join(details)
        super().__init__(message)


class AcquisitionTimeoutException(Exception):
    def __init__(self, resource: str, requested: Any, available: Any) -> None:
        super().__init__(f"Timed out acquiring {requested} {resource}; {available} available.")


def parse_worker_command(command: str) -> Optional[List[str]]:
    """``[jobName, locator, jobStoreID]`` if ``command`` runs a Toil worker, else None."""
    parts = command.split() if not any(c in command for c in "'\"\\") else shlex.split(command)
    if parts and os.path.basename(parts[0]) == WORKER_COMMAND and len(parts) == 4:
        return parts[1:]
    return None


def worker_command(job_name: str, locator: str, job_id: str) -> str:
    """The command line that runs one Toil job through a batch system."""
    executable = shutil.which(WORKER_COMMAND) if os.environ.get("TOIL_CHECK_ENV") else None
    return " ".join(shlex.quote(p) for p in (executable or WORKER_COMMAND, job_name, locator, job_id))


class AbstractBatchSystem(ABC):
    """What the leader needs from a batch system."""

    @classmethod
    def supportsAutoDeployment(cls) -> bool:
        return False

    @classmethod
    def supportsWorkerCleanup(cls) -> bool:
        return False

    def setUserScript(self, userScript: Any) -> None:
        raise NotImplementedError("This batch system does not support auto-deployment.")

    @abstractmethod
    def issueBatchJob(self, command: str, job_desc: Any, job_environment: Optional[Dict[str, str]] = None) -> int:
        """Start running ``command`` for ``job_desc`` (with its resource needs); returns an ID."""

    @abstractmethod
    def killBatchJobs(self, jobIDs: List[int]) -> None:
        """Kill these jobs; they are never reported by getUpdatedBatchJob afterwards."""

    @abstractmethod
    def getIssuedBatchJobIDs(self) -> List[int]:
        """Jobs issued and not yet reported finished."""

    @abstractmethod
    def getRunningBatchJobIDs(self) -> Dict[int, float]:
        """Running jobs mapped to how many seconds they have run."""

    @abstractmethod
    def getUpdatedBatchJob(self, maxWait: float) -> Optional[UpdatedBatchJobInfo]:
        """A finished job, waiting at most ``maxWait`` seconds; each is returned once."""

    def getSchedulingStatusMessage(self) -> Optional[str]:
        return None

    @abstractmethod
    def shutdown(self) -> None:
        """Kill everything still running and release resources; safe to call twice."""

    def setEnv(self, name: str, value: Optional[str] = None) -> None:
        raise NotImplementedError

    @classmethod
    def add_options(cls, parser: Any) -> None:
        """Add this batch system's command-line options."""

    @classmethod
    def setOptions(cls, setOption: Callable[..., None]) -> None:
        """Upstream hook to pull this batch system's options into the config."""

    def getWorkerContexts(self) -> List[Any]:
        return []

    def set_message_bus(self, message_bus: Any) -> None:
        self._message_bus = message_bus


class BatchSystemSupport(AbstractBatchSystem):
    """Common state: the config, resource limits, the workers' environment."""

    def __init__(self, config: Any, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        self.config = config
        self.maxCores = maxCores
        self.maxMemory = maxMemory
        self.maxDisk = maxDisk
        self.environment: Dict[str, str] = {}
        self._message_bus = None

    def setEnv(self, name: str, value: Optional[str] = None) -> None:
        if value is None:
            if name not in os.environ:
                raise RuntimeError(f"{name} does not exist in current environment")
            value = os.environ[name]
        self.environment[name] = value

    def check_resource_request(self, requirer: Any) -> None:
        """Raise InsufficientSystemResources if ``requirer`` can never fit."""
        name = type(self).__name__
        if requirer.cores > self.maxCores:
            raise InsufficientSystemResources(requirer, "cores", self.maxCores, name)
        if requirer.memory > self.maxMemory:
            raise InsufficientSystemResources(requirer, "memory", self.maxMemory, name)
        if requirer.disk > self.maxDisk:
            raise InsufficientSystemResources(requirer, "disk", self.maxDisk, name)

    def get_batch_logs_dir(self) -> str:
        from toil_core.common.workdirs import get_toil_work_dir

        chosen = getattr(self.config, "batch_logs_dir", None) or os.environ.get("TOIL_BATCH_LOGS_DIR")
        if chosen:
            os.makedirs(chosen, exist_ok=True)
            return chosen
        return get_toil_work_dir(getattr(self.config, "workDir", None))

    def format_std_out_err_path(self, toil_job_id: Any, cluster_job_id: str, std: str) -> str:
        if getattr(self.config, "noStdOutErr", False):
            return os.devnull
        name = f"toil_job_{toil_job_id}_batch_{type(self).__name__}_{cluster_job_id}_{std}.log"
        return os.path.join(self.get_batch_logs_dir(), name)

    def format_std_out_err_glob(self, toil_job_id: Any) -> str:
        return os.path.join(self.get_batch_logs_dir(), f"toil_job_{toil_job_id}_batch_*.log")

    @staticmethod
    def workerCleanup(info: WorkerCleanupInfo) -> None:
        """Remove this node's workflow directory when the clean-work-dir policy allows it."""
        from toil_core.common.workdirs import get_toil_work_dir

        if info.clean_work_dir not in ("always", "onSuccess", "onError"):
            return
        if info.clean_work_dir != "always":
            return  # onSuccess/onError are decided by the leader once the outcome is known
        path = os.path.join(get_toil_work_dir(info.work_dir), f"toil-{info.workflow_id}")
        shutil.rmtree(path, ignore_errors=True)
