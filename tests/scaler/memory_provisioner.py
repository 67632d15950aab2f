"""An in-memory provisioner for the cluster command tests: clusters live in a class-level dict,
so one test process can launch, inspect and destroy them. Registered as ``memory``."""
from __future__ import annotations

import itertools
import time
from typing import Any, Dict, List, Optional, Set, Tuple

from toil_core.plugin_api import (
    AbstractProvisioner,
    ClusterTypeNotSupportedException,
    ManagedNodesNotSupportedException,
    NoSuchClusterException,
    Node,
    Shape,
)

GIB = 1024 ** 3
CLUSTERS: Dict[str, List[Node]] = {}
_ids = itertools.count(1)


class MemoryProvisioner(AbstractProvisioner):
    def __init__(self, clusterName: Optional[str], clusterType: str, zone: Optional[str], nodeStorage: int,
                 nodeStorageOverrides: Optional[List[str]], sseKey: Optional[str]) -> None:
        if clusterType not in self.supportedClusterTypes():
            raise ClusterTypeNotSupportedException(type(self), clusterType)
        self.clusterName = clusterName or "memory"
        self._types: List[Tuple[Set[str], Optional[float]]] = []

    def supportedClusterTypes(self) -> Set[str]:
        return {"mesos", "kubernetes"}

    def createClusterSettings(self) -> None:
        pass

    def readClusterSettings(self) -> None:
        pass

    def setAutoscaledNodeTypes(self, nodeTypes: List[Tuple[Set[str], Optional[float]]]) -> None:
        self._types = list(nodeTypes)

    def hasAutoscaledNodeTypes(self) -> bool:
        return bool(self._types)

    def getAutoscaledInstanceShapes(self) -> Dict[Shape, str]:
        return {self.getNodeShape(n, b is not None): n for types, b in self._types for n in types}

    @staticmethod
    def retryPredicate(e: BaseException) -> bool:
        return False

    def _node(self, role: str, instance_type: str, preemptible: bool) -> Node:
        n = next(_ids)
        return Node(f"192.0.2.{n}", f"10.1.0.{n}", f"m-{n}", time.time(), instance_type, preemptible,
                    {"ToilNodeType": role})

    def launchCluster(self, leaderNodeType: str, **kwargs: Any) -> None:
        CLUSTERS[self.clusterName] = [self._node("leader", leaderNodeType, False)]

    def addNodes(self, nodeTypes: Set[str], numNodes: int, preemptible: bool, spotBid: Optional[float] = None) -> int:
        nodes = CLUSTERS.setdefault(self.clusterName, [])
        nodes.extend(self._node("worker", sorted(nodeTypes)[0], preemptible) for _ in range(numNodes))
        return numNodes

    def addManagedNodes(self, nodeTypes: Set[str], minNodes: int, maxNodes: int, preemptible: bool,
                        spotBid: Optional[float] = None) -> None:
        raise ManagedNodesNotSupportedException("no managed pools in memory")

    def terminateNodes(self, nodes: List[Any]) -> None:
        for node in nodes:
            CLUSTERS[self.clusterName].remove(node)

    def getLeader(self) -> Node:
        for node in CLUSTERS.get(self.clusterName, []):
            if node.tags["ToilNodeType"] == "leader":
                return node
        raise NoSuchClusterException(self.clusterName)

    def getProvisionedWorkers(self, instance_type: Optional[str] = None,
                              preemptible: Optional[bool] = None) -> List[Node]:
        return [n for n in CLUSTERS.get(self.clusterName, []) if n.tags["ToilNodeType"] == "worker"
                and (instance_type is None or n.nodeType == instance_type)
                and (preemptible is None or n.preemptible == preemptible)]

    def getNodeShape(self, instance_type: str, preemptible: bool = False) -> Shape:
        return Shape(3600, 4 * GIB, 2, 50 * GIB, preemptible)

    def destroyCluster(self) -> None:
        if self.clusterName not in CLUSTERS:
            raise NoSuchClusterException(self.clusterName)
        del CLUSTERS[self.clusterName]
