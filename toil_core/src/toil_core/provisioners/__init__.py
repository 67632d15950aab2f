"""Cluster provisioners (upstream ``toil.provisioners``): the exceptions users see and
:func:`cluster_factory`, which finds the provisioner by name among the installed plugins
(entry point group ``toil.provisioners``; ``aws`` and ``gce`` come from toil-aws / toil-google).

The interface a provisioner implements is :class:`~toil_core.provisioners.abstract.AbstractProvisioner`.
This package imports no provisioner and no cloud SDK.
"""
from __future__ import annotations

from typing import Any, List, Optional

from toil_core.lib.errors import ToilError
from toil_core.plugins.registry import get_provisioner_class

__all__ = [
    "ClusterCombinationNotSupportedException",
    "ClusterTypeNotSupportedException",
    "ManagedNodesNotSupportedException",
    "NoSuchClusterException",
    "cluster_factory",
]


def _class_name(provisioner_class: Any) -> str:
    return getattr(provisioner_class, "__name__", None) or str(provisioner_class)


class NoSuchClusterException(ToilError):
    """No cluster of this name exists (for this provisioner and zone)."""

    def __init__(self, cluster_name: str) -> None:
        self.cluster_name = cluster_name
        super().__init__(f"Cluster '{cluster_name}' was not found. Check its name, the provisioner "
                         f"(-p) and the zone (-z), or create it with 'toil launch-cluster'.")


class ClusterTypeNotSupportedException(ToilError):
    """The provisioner cannot make clusters of the asked-for type (``mesos``, ``kubernetes``)."""

    def __init__(self, provisioner_class: Any, cluster_type: str) -> None:
        self.provisioner_class = provisioner_class
        self.cluster_type = cluster_type
        super().__init__(f"The {_class_name(provisioner_class)} provisioner cannot make clusters of "
                         f"type '{cluster_type}'.")


class ClusterCombinationNotSupportedException(ToilError):
    """The provisioner cannot make this cluster type with nodes of this architecture."""

    def __init__(self, provisioner_class: Any, cluster_type: str, architecture: str,
                 reason: Optional[str] = None) -> None:
        self.provisioner_class = provisioner_class
        self.cluster_type = cluster_type
        self.architecture = architecture
        self.reason = reason
        message = (f"The {_class_name(provisioner_class)} provisioner cannot make '{cluster_type}' "
                   f"clusters with {architecture} nodes")
        super().__init__(message + (f": {reason}" if reason else "."))


class ManagedNodesNotSupportedException(ToilError, RuntimeError):
    """The provisioner cannot add managed nodes (nodes that scale up and down by themselves,
    without the provisioner doing the work)."""


def cluster_factory(provisioner: str, clusterName: Optional[str] = None, clusterType: str = "mesos",
                    zone: Optional[str] = None, nodeStorage: int = 50,
                    nodeStorageOverrides: Optional[List[str]] = None, sseKey: Optional[str] = None) -> Any:
    """Make the provisioner called ``provisioner`` (``aws``, ``gce``, ...) for a cluster.

    :raises PluginNotInstalledError: if no installed plugin provides it (the message says which
        ``pip install`` adds it).
    """
    cls = get_provisioner_class(provisioner)
    return cls(clusterName, clusterType, zone, nodeStorage, nodeStorageOverrides, sseKey)
