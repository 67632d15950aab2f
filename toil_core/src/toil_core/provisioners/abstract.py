"""The interface of a cluster provisioner (upstream ``AbstractProvisioner``, Toil 5.10 names).

A provisioner plugin's spec (``ProvisionerSpec(load="pkg.module:MyProvisioner")``) names a
subclass implementing every method below. The constructor takes the arguments
:func:`toil_core.provisioners.cluster_factory` passes: ``(clusterName, clusterType, zone,
nodeStorage, nodeStorageOverrides, sseKey)``, and raises
:class:`~toil_core.provisioners.ClusterTypeNotSupportedException` for a cluster type it cannot
make. The contract suite :class:`toil_core.testing.ProvisionerContract` checks an implementation.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Set, Tuple

import attrs

from . import ManagedNodesNotSupportedException

__all__ = ["AbstractProvisioner", "ManagedNodesNotSupportedException", "Shape"]


@attrs.frozen
class Shape:
    """What a node offers (or a job needs): seconds of wall time, bytes of memory, cores, bytes
    of disk, and whether it is preemptible."""

    wallTime: float
    memory: int
    cores: float
    disk: int
    preemptible: bool


class AbstractProvisioner(ABC):
    """Creates, grows, shrinks and destroys a cluster of worker nodes."""

    #: Where the leader keeps its files on the leader node.
    LEADER_HOME_DIR = "/root/"

    @abstractmethod
    def supportedClusterTypes(self) -> Set[str]:
        """The cluster types (``mesos``, ``kubernetes``) this provisioner can make."""

    @abstractmethod
    def createClusterSettings(self) -> None:
        """Set up the settings of a cluster that is about to be launched."""

    @abstractmethod
    def readClusterSettings(self) -> None:
        """Read the settings of the running cluster this process is the leader of."""

    @abstractmethod
    def setAutoscaledNodeTypes(self, nodeTypes: List[Tuple[Set[str], Optional[float]]]) -> None:
        """Set the node types to autoscale: ``[({instance types}, spot bid or None), ...]``."""

    @abstractmethod
    def hasAutoscaledNodeTypes(self) -> bool:
        """True if node types to autoscale have been set."""

    @abstractmethod
    def getAutoscaledInstanceShapes(self) -> Dict[Shape, str]:
        """The :class:`Shape` of each autoscaled node type, mapped to its instance type."""

    @staticmethod
    @abstractmethod
    def retryPredicate(e: BaseException) -> bool:
        """True if a failed cloud call that raised ``e`` should be retried."""

    @abstractmethod
    def launchCluster(self, *args: Any, **kwargs: Any) -> None:
        """Start the leader node of a new cluster (leader type, key name, owner, tags, ...)."""

    @abstractmethod
    def addNodes(self, nodeTypes: Set[str], numNodes: int, preemptible: bool,
                 spotBid: Optional[float] = None) -> int:
        """Start ``numNodes`` worker nodes of one node type; return how many started."""

    @abstractmethod
    def addManagedNodes(self, nodeTypes: Set[str], minNodes: int, maxNodes: int, preemptible: bool,
                        spotBid: Optional[float] = None) -> None:
        """Add a pool of nodes that scales itself between ``minNodes`` and ``maxNodes``.

        :raises ManagedNodesNotSupportedException: if the provisioner cannot.
        """

    @abstractmethod
    def terminateNodes(self, nodes: List[Any]) -> None:
        """Terminate these worker nodes."""

    @abstractmethod
    def getLeader(self) -> Any:
        """The leader node of the cluster."""

    @abstractmethod
    def getProvisionedWorkers(self, instance_type: Optional[str] = None,
                              preemptible: Optional[bool] = None) -> List[Any]:
        """The running worker nodes, optionally of one instance type / preemptibility."""

    @abstractmethod
    def getNodeShape(self, instance_type: str, preemptible: bool = False) -> Shape:
        """The :class:`Shape` of a node of ``instance_type``."""

    @abstractmethod
    def destroyCluster(self) -> None:
        """Terminate every node of the cluster and delete its cloud resources."""
