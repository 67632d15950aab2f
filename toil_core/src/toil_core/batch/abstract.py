"""The batch system interface every backend implements, and shared support code.

The leader calls these methods directly on its hot path (no plugin hooks in between):
``issueBatchJob`` for each ready job, ``getUpdatedBatchJob`` to learn of finished ones,
``killBatchJobs`` and ``getRunningBatchJobIDs`` for rescue and timeouts, ``shutdown`` at the end.
A job's work is the ``command``: from the leader a :class:`WorkerInvocation` (a ``str`` holding
``_toil_worker JOBNAME LOCATOR JOBID`` that also carries its parts), but a batch system must run
any shell command it is given.
"""
from __future__ import annotations

import enum
import logging
import os
import shutil
import threading
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional

import attrs

from toil_core.batch.invocation import (  # noqa: F401  (part of this module's API)
    WORKER_COMMAND,
    WorkerInvocation,
    parse_worker_command,
    worker_command,
)
from toil_core.common.workdirs import get_coordination_dir, get_toil_work_dir
from toil_core.lib.errors import ToilError
from toil_core.lib.threading import LastProcessStandingArena
from toil_core.plugins.registry import get_batch_system_class

if TYPE_CHECKING:
    from toil_core.common.config import Config

logger = logging.getLogger(__name__)

EXIT_STATUS_UNAVAILABLE_VALUE = 255

#: The registered batch system that runs ``local`` jobs for :class:`BatchSystemLocalSupport`.
LOCAL_BATCH_SYSTEM = "single_machine"


class BatchJobExitReason(enum.IntEnum):
    """Why a batch job ended, as a batch system reports it in :class:`UpdatedBatchJobInfo`."""

    FINISHED = 1
    FAILED = 2
    LOST = 3
    KILLED = 4
    ERROR = 5
    MEMLIMIT = 6


@attrs.frozen
class UpdatedBatchJobInfo:
    """A finished batch job: its ID, exit status, why it ended (if known) and its wall time.

    ``note``: what the job store said in the worker about a job it deleted (see
    ``AbstractJobStore.finish_note``), where the batch system can carry it (the single machine
    batch system's fork server); None elsewhere."""

    jobID: int
    exitStatus: int
    exitReason: Optional[BatchJobExitReason]
    wallTime: Optional[float]
    note: Optional[str] = None


@attrs.frozen
class WorkerCleanupInfo:
    """What a worker needs to remove its node's workflow directory when the workflow ends."""

    work_dir: Optional[str]
    coordination_dir: Optional[str]
    workflow_id: str
    clean_work_dir: str


class InsufficientSystemResources(ToilError):
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


class AcquisitionTimeoutException(ToilError):
    """A resource (see :mod:`toil_core.batch.resource_pools`) was not free in time; says which,
    how much was asked for and what was free (``resource``, ``requested``, ``available``)."""

    def __init__(self, resource: str, requested: Any, available: Any) -> None:
        super().__init__(f"Timed out acquiring {requested} {resource}; {available} available.")
        self.resource = resource
        self.requested = requested
        self.available = available


class AbstractBatchSystem(ABC):
    """What the leader needs from a batch system.

    Toil makes one as ``cls(config, maxCores, maxMemory, maxDisk)``; :class:`BatchSystemSupport`
    keeps those values.
    """

    def __init__(self, config: Config, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        """The constructor every batch system has (this base keeps nothing)."""

    @classmethod
    def supportsAutoDeployment(cls) -> bool:
        return False

    @classmethod
    def supportsWorkerCleanup(cls) -> bool:
        return False

    @classmethod
    def runs_workers_beside_leader(cls) -> bool:
        """Capability flag: True when every worker runs on the leader's host, so it sees the user
        script at the leader's path and needs no auto-deployment (and no warning about its absence)."""
        return False

    def setUserScript(self, userScript: Any) -> None:
        raise NotImplementedError("This batch system does not support auto-deployment.")

    def prepare_workers(self, locator: str, environment: Dict[str, str]) -> None:
        """Called once per leader run, after the job store holds the user's module and before the
        leader issues its first job: start what is slow to start, so it gets ready while the
        leader sets up (the local batch system starts its fork server, which imports the worker,
        opens the job store at ``locator`` and imports the user's module). ``environment`` is
        what every job's environment starts from (an encrypted store's key file, ...).
        Default: nothing."""

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

    def check_resource_request(self, requirer: Any) -> None:
        """Raise InsufficientSystemResources if ``requirer`` can never run on this batch system
        (:class:`BatchSystemSupport` checks the configured limits)."""
        raise NotImplementedError(f"{type(self).__name__} does not check resource requests")

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
        """Keep the leader's bus; ``self._outbox`` (upstream's name) publishes to it."""
        self._message_bus = message_bus
        outbox = getattr(message_bus, "outbox", None)
        self._outbox = outbox() if outbox is not None else None


class BatchSystemSupport(AbstractBatchSystem):
    """Common state: the config, resource limits, the workers' environment."""

    def __init__(self, config: Config, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        self.config = config
        self.maxCores = maxCores
        self.maxMemory = maxMemory
        self.maxDisk = maxDisk
        self.environment: Dict[str, str] = {}
        self._message_bus = None
        self._outbox: Any = None

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
        chosen = self.config.batch_logs_dir or os.environ.get("TOIL_BATCH_LOGS_DIR")
        if chosen:
            os.makedirs(chosen, exist_ok=True)
            return chosen
        return get_toil_work_dir(self.config.workDir)

    def format_std_out_err_path(self, toil_job_id: Any, cluster_job_id: str, std: str) -> str:
        if self.config.noStdOutErr:
            return os.devnull
        name = f"toil_job_{toil_job_id}_batch_{type(self).__name__}_{cluster_job_id}_{std}.log"
        return os.path.join(self.get_batch_logs_dir(), name)

    def format_std_out_err_glob(self, toil_job_id: Any) -> str:
        return os.path.join(self.get_batch_logs_dir(), f"toil_job_{toil_job_id}_batch_*.log")

    @staticmethod
    def workerCleanup(info: WorkerCleanupInfo) -> None:
        """Remove this node's workflow directory when the clean-work-dir policy allows it."""
        if info.clean_work_dir not in ("always", "onSuccess", "onError"):
            return
        if info.clean_work_dir != "always":
            return  # onSuccess/onError are decided by the leader once the outcome is known
        path = os.path.join(get_toil_work_dir(info.work_dir), f"toil-{info.workflow_id}")
        shutil.rmtree(path, ignore_errors=True)


class BatchSystemCleanupSupport(BatchSystemSupport):
    """Base for batch systems that clean up each node's workflow directory when the workflow ends."""

    @classmethod
    def supportsWorkerCleanup(cls) -> bool:
        return True

    def getWorkerContexts(self) -> List[Any]:
        return list(super().getWorkerContexts()) + [WorkerCleanupContext(WorkerCleanupInfo(
            self.config.workDir,
            self.config.coordination_dir,
            self.config.workflowID or "",
            self.config.cleanWorkDir,
        ))]


class WorkerCleanupContext:
    """Context manager a worker runs its job in: the last worker of the workflow on a node to
    leave removes the node's workflow directory (per the clean-work-dir policy)."""

    def __init__(self, workerCleanupInfo: WorkerCleanupInfo) -> None:
        self.workerCleanupInfo = workerCleanupInfo
        self._arena: Any = None

    def __enter__(self) -> None:
        info = self.workerCleanupInfo
        self._arena = LastProcessStandingArena(
            get_coordination_dir(info.work_dir, info.coordination_dir), f"{info.workflow_id}-cleanup")
        self._arena.enter()

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        for _ in self._arena.leave():
            BatchSystemSupport.workerCleanup(self.workerCleanupInfo)


@attrs.define
class NodeInfo:
    """What a scalable batch system knows about one node (upstream ``NodeInfo``)."""

    coresUsed: float
    memoryUsed: float
    coresTotal: float
    memoryTotal: int
    requestedCores: float
    requestedMemory: int
    workers: int


class AbstractScalableBatchSystem(AbstractBatchSystem):
    """A batch system the cluster scaler can grow and shrink (upstream interface)."""

    @abstractmethod
    def getNodes(self, preemptible: Optional[bool] = None, timeout: int = 600) -> Dict[str, NodeInfo]:
        """Address -> NodeInfo of the nodes in the cluster, optionally only (non-)preemptible ones."""

    @abstractmethod
    def nodeInUse(self, nodeIP: str) -> bool:
        """Whether any job runs on that node."""

    def nodeFiltering(self, filter: Optional[Callable[[Any], bool]]) -> Iterator[None]:
        raise NotImplementedError("This batch system cannot filter nodes.")

    @abstractmethod
    def ignoreNode(self, nodeAddress: str) -> None:
        """Stop scheduling jobs on this node (it is about to be removed)."""

    @abstractmethod
    def unignoreNode(self, nodeAddress: str) -> None:
        """Schedule jobs on this node again."""


class BatchSystemLocalSupport(BatchSystemSupport):
    """Runs the jobs marked ``local`` on the leader's machine, in a single_machine batch system
    limited to ``--maxLocalJobs`` jobs; everything else is left to the subclass.

    Local jobs get IDs from :meth:`getNextJobID`, which subclasses should use for their own jobs
    too so the two kinds never collide.
    """

    def __init__(self, config: Config, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        super().__init__(config, maxCores, maxMemory, maxDisk)
        max_local = config.max_local_jobs
        # The local batch system is the registered ``single_machine`` plugin: this base class
        # never names the class that implements it.
        local_class = get_batch_system_class(LOCAL_BATCH_SYSTEM)
        self.localBatch = local_class(config, maxCores, maxMemory, maxDisk, max_jobs=max_local)
        self._id_lock = threading.Lock()
        self._next_job_id = 0
        self._local_to_global: Dict[int, int] = {}
        self._global_to_local: Dict[int, int] = {}

    def getNextJobID(self) -> int:
        with self._id_lock:
            job_id = self._next_job_id
            self._next_job_id += 1
            return job_id

    def handleLocalJob(self, command: str, jobDesc: Any,
                       job_environment: Optional[Dict[str, str]] = None) -> Optional[int]:
        """Run the job locally if it is marked local (returns its ID), else None."""
        if not getattr(jobDesc, "local", False) or self.config.run_local_jobs_on_workers:
            return None
        local_id = self.localBatch.issueBatchJob(command, jobDesc, job_environment)
        job_id = self.getNextJobID()
        with self._id_lock:
            self._local_to_global[local_id] = job_id
            self._global_to_local[job_id] = local_id
        return job_id

    def killLocalJobs(self, jobIDs: List[int]) -> None:
        with self._id_lock:
            local = [self._global_to_local[i] for i in jobIDs if i in self._global_to_local]
        self.localBatch.killBatchJobs(local)
        with self._id_lock:
            for job_id in jobIDs:
                local_id = self._global_to_local.pop(job_id, None)
                if local_id is not None:
                    self._local_to_global.pop(local_id, None)

    def getIssuedLocalJobIDs(self) -> List[int]:
        with self._id_lock:
            return [self._local_to_global[i] for i in self.localBatch.getIssuedBatchJobIDs()
                    if i in self._local_to_global]

    def getRunningLocalJobIDs(self) -> Dict[int, float]:
        with self._id_lock:
            return {self._local_to_global[i]: t for i, t in self.localBatch.getRunningBatchJobIDs().items()
                    if i in self._local_to_global}

    def getUpdatedLocalJob(self, maxWait: float) -> Optional[UpdatedBatchJobInfo]:
        update = self.localBatch.getUpdatedBatchJob(maxWait)
        if update is None:
            return None
        with self._id_lock:
            job_id = self._local_to_global.pop(update.jobID, update.jobID)
            self._global_to_local.pop(job_id, None)
        return attrs.evolve(update, jobID=job_id)

    def shutdownLocal(self) -> None:
        self.localBatch.shutdown()
