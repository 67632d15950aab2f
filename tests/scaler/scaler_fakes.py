"""In-memory provisioner and scalable batch system for the cluster scaler's unit tests: they
record every call so tests can check what the scaler did to the cluster."""
from __future__ import annotations

import itertools
from typing import Any, Dict, List, Optional, Set

from toil_core.provisioners.abstract import Shape
from toil_core.provisioners.node import Node

GIB = 1024 ** 3
#: instance type -> (cores, memory, disk)
CATALOG = {"small": (2, 4 * GIB, 20 * GIB), "big": (8, 32 * GIB, 100 * GIB)}


class MemoryProvisioner:
    """Starts and stops imaginary nodes; ``spot_capacity`` limits how many preemptible ones start."""

    def __init__(self, spot_capacity: int = 1000) -> None:
        self.nodes: List[Node] = []
        self.terminated: List[Node] = []
        self.spot_capacity = spot_capacity
        self._ids = itertools.count(1)

    def getNodeShape(self, instance_type: str, preemptible: bool = False) -> Shape:
        cores, memory, disk = CATALOG[instance_type]
        return Shape(3600, memory, cores, disk, preemptible)

    def addNodes(self, nodeTypes: Set[str], numNodes: int, preemptible: bool, spotBid: Optional[float] = None) -> int:
        count = min(numNodes, self.spot_capacity) if preemptible else numNodes
        if preemptible:
            self.spot_capacity -= count
        for _ in range(count):
            n = next(self._ids)
            self.nodes.append(Node(None, f"10.0.0.{n}", f"i-{n}", float(n), sorted(nodeTypes)[0], preemptible))
        return count

    def terminateNodes(self, nodes: List[Node]) -> None:
        for node in nodes:
            self.nodes.remove(node)
            self.terminated.append(node)

    def getProvisionedWorkers(self, instance_type: Optional[str] = None,
                              preemptible: Optional[bool] = None) -> List[Node]:
        return [n for n in self.nodes if (instance_type is None or n.nodeType == instance_type)
                and (preemptible is None or n.preemptible == preemptible)]


class MemoryBatchSystem:
    """Knows which nodes run work (``busy``) and which are ignored."""

    def __init__(self) -> None:
        self.busy: Set[str] = set()
        self.ignored: Set[str] = set()

    def getNodes(self, preemptible: Optional[bool] = None, timeout: int = 600) -> Dict[str, Any]:
        return {}

    def nodeInUse(self, nodeIP: str) -> bool:
        return nodeIP in self.busy

    def ignoreNode(self, nodeAddress: str) -> None:
        self.ignored.add(nodeAddress)

    def unignoreNode(self, nodeAddress: str) -> None:
        self.ignored.discard(nodeAddress)
