"""Backends for testing the contract suites themselves: a working in-memory provisioner, and
deliberately broken batch system, job store, URL handler and provisioner that the suites must
catch (tests/contract/test_suites_catch_broken.py)."""
from __future__ import annotations

import io
import subprocess
import threading
import time
from typing import Any, Dict, List, Optional, Set

from toil_core.batch.abstract import AbstractBatchSystem, UpdatedBatchJobInfo
from toil_core.jobstores.file_job_store import FileJobStore
from toil_core.jobstores.url_access import FileURLAccess
from toil_core.provisioners import ClusterTypeNotSupportedException, ManagedNodesNotSupportedException
from toil_core.provisioners.abstract import AbstractProvisioner, Shape

_SHAPES = {"small": (2, 4 * 2**30, 20 * 2**30), "large": (16, 64 * 2**30, 200 * 2**30)}


class FakeProvisioner(AbstractProvisioner):
    """An in-memory cloud: nodes are dictionaries."""

    def __init__(self, clusterName: Optional[str] = None, clusterType: str = "mesos", zone: Optional[str] = None,
                 nodeStorage: int = 50, nodeStorageOverrides: Any = None, sseKey: Any = None) -> None:
        if clusterType not in self.supportedClusterTypes():
            raise ClusterTypeNotSupportedException(type(self), clusterType)
        self.clusterName, self.clusterType, self.nodeStorage = clusterName, clusterType, nodeStorage
        self._node_types: List[Any] = []
        self._nodes: List[Dict[str, Any]] = []
        self._leader: Optional[Dict[str, Any]] = None

    def supportedClusterTypes(self) -> Set[str]:
        return {"mesos", "kubernetes"}

    def createClusterSettings(self) -> None:
        pass

    def readClusterSettings(self) -> None:
        pass

    def setAutoscaledNodeTypes(self, nodeTypes: List[Any]) -> None:
        self._node_types = list(nodeTypes)

    def hasAutoscaledNodeTypes(self) -> bool:
        return bool(self._node_types)

    def getAutoscaledInstanceShapes(self) -> Dict[Shape, str]:
        return {self.getNodeShape(t, bid is not None): t for types, bid in self._node_types for t in types}

    @staticmethod
    def retryPredicate(e: BaseException) -> bool:
        return isinstance(e, TimeoutError)

    def launchCluster(self, leaderNodeType: str, leaderStorage: int, owner: str, **kwargs: Any) -> None:
        self._leader = {"type": leaderNodeType, "owner": owner}

    def addNodes(self, nodeTypes: Set[str], numNodes: int, preemptible: bool, spotBid: Optional[float] = None) -> int:
        for _ in range(numNodes):
            self._nodes.append({"type": sorted(nodeTypes)[0], "preemptible": preemptible})
        return numNodes

    def addManagedNodes(self, nodeTypes: Set[str], minNodes: int, maxNodes: int, preemptible: bool,
                        spotBid: Optional[float] = None) -> None:
        raise ManagedNodesNotSupportedException("the fake cloud has no managed node pools")

    def terminateNodes(self, nodes: List[Any]) -> None:
        self._nodes = [n for n in self._nodes if n not in nodes]

    def getLeader(self) -> Any:
        return self._leader

    def getProvisionedWorkers(self, instance_type: Optional[str] = None, preemptible: Optional[bool] = None) -> List[Any]:
        return [n for n in self._nodes if instance_type in (None, n["type"])
                and preemptible in (None, n["preemptible"])]

    def getNodeShape(self, instance_type: str, preemptible: bool = False) -> Shape:
        cores, memory, disk = _SHAPES[instance_type]
        return Shape(wallTime=3600, memory=memory, cores=cores, disk=disk, preemptible=preemptible)

    def destroyCluster(self) -> None:
        self._nodes, self._leader = [], None


class BrokenProvisioner(FakeProvisioner):
    """Accepts any cluster type, loses node types and describes nodes as empty."""

    def __init__(self, clusterName: Optional[str] = None, clusterType: str = "mesos", *args: Any) -> None:
        super().__init__(clusterName, "mesos")

    def hasAutoscaledNodeTypes(self) -> bool:
        return False

    def getNodeShape(self, instance_type: str, preemptible: bool = False) -> Shape:
        return Shape(wallTime=0, memory=0, cores=0, disk=0, preemptible=False)


class BrokenBatchSystem(AbstractBatchSystem):
    """Runs commands, but: reports every exit code as 0, ignores the environment, reports killed
    jobs, never rejects a request and fails on a second shutdown."""

    def __init__(self, config: Any, maxCores: float, maxMemory: int, maxDisk: int) -> None:
        self._next = 0
        self._jobs: Dict[int, subprocess.Popen] = {}
        self._started: Dict[int, float] = {}
        self._updates: List[UpdatedBatchJobInfo] = []
        self._lock = threading.Lock()
        self._closed = False

    def issueBatchJob(self, command: str, job_desc: Any, job_environment: Optional[Dict[str, str]] = None) -> int:
        with self._lock:
            job_id = self._next
            self._next += 1
            self._jobs[job_id] = subprocess.Popen(command, shell=True)
            self._started[job_id] = time.time()
        return job_id

    def killBatchJobs(self, jobIDs: List[int]) -> None:
        for job_id in jobIDs:
            process = self._jobs.get(job_id)
            if process is not None:
                process.kill()

    def getIssuedBatchJobIDs(self) -> List[int]:
        return list(self._jobs)

    def getRunningBatchJobIDs(self) -> Dict[int, float]:
        return {i: time.time() - self._started[i] for i, p in self._jobs.items() if p.poll() is None}

    def getUpdatedBatchJob(self, maxWait: float) -> Optional[UpdatedBatchJobInfo]:
        deadline = time.time() + maxWait
        while True:
            for job_id, process in list(self._jobs.items()):
                if process.poll() is not None:
                    del self._jobs[job_id]
                    return UpdatedBatchJobInfo(job_id, 0, None, None)
            if time.time() >= deadline:
                return None
            time.sleep(0.05)

    def setEnv(self, name: str, value: Optional[str] = None) -> None:
        pass

    def shutdown(self) -> None:
        if self._closed:
            raise RuntimeError("already shut down")
        self._closed = True
        for process in self._jobs.values():
            process.kill()


class BrokenJobStore(FileJobStore):
    """A file job store that forgets job updates, keeps deleted jobs and loses shared files."""

    def update_job(self, job_description: Any) -> None:
        pass

    def delete_job(self, job_id: str) -> None:
        pass

    def write_shared_file_stream(self, shared_file_name: str, encrypted: Any = None,
                                 encoding: Any = None, errors: Any = None) -> Any:
        if shared_file_name.startswith("contract-"):
            return _Discard()
        return super().write_shared_file_stream(shared_file_name, encrypted, encoding, errors)


class _Discard:
    def __enter__(self) -> io.BytesIO:
        return io.BytesIO()

    def __exit__(self, *exc: Any) -> None:
        pass


class BrokenURLAccess(FileURLAccess):
    """Claims every URL, gets sizes wrong and reads missing objects as empty."""

    @classmethod
    def supports_url(cls, url: str, export: bool) -> bool:
        return True

    @classmethod
    def get_size(cls, url: str) -> Optional[int]:
        return 0

    @classmethod
    def read_from_url(cls, url: str, writable: Any) -> Any:
        try:
            return super().read_from_url(url, writable)
        except Exception:
            return 0, False
