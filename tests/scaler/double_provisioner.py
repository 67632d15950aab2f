"""A provisioner for tests whose "instances" are agents of the Mesos protocol double
(tests/mesos/mesos_double.py): addNodes starts agents through the double's control port,
terminateNodes kills them, getProvisionedWorkers lists the live ones. The double's control
address comes from ``TOIL_TEST_MESOS_DOUBLE_CONTROL``. Registered as the ``mesos_double``
provisioner by a fake distribution the tests put on PYTHONPATH."""
from __future__ import annotations

import json
import os
import urllib.request
from typing import Any, Dict, List, Optional, Set, Tuple

from toil_core.plugin_api import AbstractProvisioner, ClusterTypeNotSupportedException, Node, Shape

MIB = 1024 * 1024
#: instance type -> (cores, MiB of memory, MiB of disk)
INSTANCE_TYPES = {"double.small": (2, 2048, 8192), "double.large": (4, 4096, 16384)}


def _control(path: str, body: Optional[Dict[str, Any]] = None) -> Any:
    address = os.environ["TOIL_TEST_MESOS_DOUBLE_CONTROL"]
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://{address}{path}", data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read()
    return json.loads(text) if text else None


def _spec(instance_type: str, preemptible: bool) -> str:
    cores, memory, disk = INSTANCE_TYPES[instance_type]
    return f"{cores}:{memory}:{disk}" + (":preemptible" if preemptible else "")


def _instance_type(resources: Dict[str, float]) -> str:
    for name, (cores, memory, disk) in INSTANCE_TYPES.items():
        if (resources["cpus"], resources["mem"], resources["disk"]) == (cores, memory, disk):
            return name
    return "unknown"


class DoubleProvisioner(AbstractProvisioner):
    def __init__(self, clusterName: Optional[str], clusterType: str, zone: Optional[str], nodeStorage: int,
                 nodeStorageOverrides: Optional[List[str]], sseKey: Optional[str]) -> None:
        if clusterType not in self.supportedClusterTypes():
            raise ClusterTypeNotSupportedException(type(self), clusterType)
        self.clusterName = clusterName or "double"
        self._node_types: List[Tuple[Set[str], Optional[float]]] = []

    def supportedClusterTypes(self) -> Set[str]:
        return {"mesos"}

    def createClusterSettings(self) -> None:
        pass

    def readClusterSettings(self) -> None:
        pass

    def setAutoscaledNodeTypes(self, nodeTypes: List[Tuple[Set[str], Optional[float]]]) -> None:
        self._node_types = list(nodeTypes)

    def hasAutoscaledNodeTypes(self) -> bool:
        return bool(self._node_types)

    def getAutoscaledInstanceShapes(self) -> Dict[Shape, str]:
        return {self.getNodeShape(name, bid is not None): name for types, bid in self._node_types for name in types}

    @staticmethod
    def retryPredicate(e: BaseException) -> bool:
        return isinstance(e, ConnectionError)

    def launchCluster(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("the double's cluster already runs (its master is the leader)")

    def addNodes(self, nodeTypes: Set[str], numNodes: int, preemptible: bool, spotBid: Optional[float] = None) -> int:
        instance_type = sorted(nodeTypes)[0]
        for _ in range(numNodes):
            _control("/add_agent", {"spec": _spec(instance_type, preemptible)})
        return numNodes

    def addManagedNodes(self, nodeTypes: Set[str], minNodes: int, maxNodes: int, preemptible: bool,
                        spotBid: Optional[float] = None) -> None:
        from toil_core.plugin_api import ManagedNodesNotSupportedException

        raise ManagedNodesNotSupportedException("the Mesos double has no self-scaling node pools")

    def terminateNodes(self, nodes: List[Any]) -> None:
        for node in nodes:
            _control("/kill_agent", {"hostname": node.privateIP})

    def getLeader(self) -> Any:
        return Node(None, "127.0.0.1", "leader", 0.0, "leader", False)

    def getProvisionedWorkers(self, instance_type: Optional[str] = None,
                              preemptible: Optional[bool] = None) -> List[Any]:
        nodes = []
        for agent in _control("/")["slaves"]:
            node = Node(None, agent["hostname"], agent["id"], float(agent.get("launched", 0.0)),
                        _instance_type(agent["resources"]), agent["attributes"]["preemptible"] == "true")
            if (instance_type is None or node.nodeType == instance_type) and \
                    (preemptible is None or node.preemptible == preemptible):
                nodes.append(node)
        return nodes

    def getNodeShape(self, instance_type: str, preemptible: bool = False) -> Shape:
        cores, memory, disk = INSTANCE_TYPES[instance_type]
        return Shape(3600, memory * MIB, cores, disk * MIB, preemptible)

    def destroyCluster(self) -> None:
        self.terminateNodes(self.getProvisionedWorkers())
