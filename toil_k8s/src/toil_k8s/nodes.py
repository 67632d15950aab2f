"""The cluster's nodes as the cluster scaler sees them (the ``scalable`` capability): each Ready
node by its InternalIP address (what the provisioner's instances are matched by), with its
allocatable cores and memory, what this run's pods request there, and how many of them run there.

A node the scaler retires is *cordoned* (``spec.unschedulable``), so Kubernetes schedules no new
pod there while the pods already there finish; it is uncordoned when the scaler keeps it after all.
Only nodes cordoned here are uncordoned again, so a node an administrator cordoned stays so.
Preemptible nodes are those with one of the spot labels of :data:`toil_k8s.manifests.PREEMPTIBLE_LABELS`
(a ``-T kubernetes`` aws cluster labels its spot workers ``eks.amazonaws.com/capacityType=SPOT``).
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Iterable, List, Optional, Set

from toil_core.plugin_api import NodeInfo

from toil_k8s.capacity import parse_quantity
from toil_k8s.manifests import PREEMPTIBLE_LABELS

__all__ = ["NodeView", "internal_ip", "is_preemptible"]

logger = logging.getLogger(__name__)

_ACTIVE_PHASES = ("Pending", "Running")


def internal_ip(node: Any) -> Optional[str]:
    for address in (node.status.addresses or []) if node.status else []:
        if address.type == "InternalIP":
            return str(address.address)
    return None


def is_preemptible(node: Any) -> bool:
    labels = node.metadata.labels or {}
    return any(labels.get(key) in values for key, _, values in PREEMPTIBLE_LABELS)


def _ready(node: Any) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in (node.status.conditions or []))


def _requests(pod: Any) -> Dict[str, float]:
    total = {"cpu": 0.0, "memory": 0.0}
    for container in pod.spec.containers or []:
        requests = (container.resources.requests if container.resources else None) or {}
        for key in total:
            if key in requests:
                total[key] += float(parse_quantity(requests[key]))
    return total


class NodeView:
    """The scalable interface over one run's pods (``selector``) in ``namespace``."""

    def __init__(self, core: Any, namespace: str, selector: str) -> None:
        self.core = core
        self.namespace = namespace
        self.selector = selector
        self._cordoned: Set[str] = set()  # node names cordoned here

    def _nodes(self) -> List[Any]:
        return list(self.core.list_node(_request_timeout=30).items)

    def _active_pods(self) -> List[Any]:
        pods = self.core.list_namespaced_pod(self.namespace, label_selector=self.selector, _request_timeout=30).items
        return [p for p in pods if (p.status.phase if p.status else None) in _ACTIVE_PHASES and p.spec.node_name]

    def nodes(self, preemptible: Optional[bool] = None) -> Dict[str, NodeInfo]:
        """InternalIP -> NodeInfo of the Ready nodes (of the given preemptibility)."""
        by_name: Dict[str, List[Any]] = {}
        for pod in self._active_pods():
            by_name.setdefault(pod.spec.node_name, []).append(pod)
        found: Dict[str, NodeInfo] = {}
        for node in self._nodes():
            address = internal_ip(node)
            if address is None or not _ready(node):
                continue
            if preemptible is not None and is_preemptible(node) != preemptible:
                continue
            allocatable = node.status.allocatable or {}
            cores = float(parse_quantity(allocatable.get("cpu", "0")))
            memory = int(parse_quantity(allocatable.get("memory", "0")))
            pods = by_name.get(node.metadata.name, [])
            requested = [_requests(p) for p in pods]
            cores_requested = sum(r["cpu"] for r in requested)
            memory_requested = int(sum(r["memory"] for r in requested))
            found[address] = NodeInfo(
                coresUsed=min(1.0, cores_requested / cores) if cores else 0.0,
                memoryUsed=min(1.0, memory_requested / memory) if memory else 0.0,
                coresTotal=cores, memoryTotal=memory, requestedCores=cores_requested,
                requestedMemory=memory_requested, workers=len(pods))
        return found

    def _name_of(self, address: str, nodes: Optional[Iterable[Any]] = None) -> Optional[str]:
        for node in nodes if nodes is not None else self._nodes():
            if internal_ip(node) == address or node.metadata.name == address:
                return str(node.metadata.name)
        return None

    def in_use(self, address: str) -> bool:
        """Whether a pod of this run is pending or running on the node."""
        name = self._name_of(address)
        return name is not None and any(p.spec.node_name == name for p in self._active_pods())

    def _set_unschedulable(self, name: str, value: bool) -> None:
        self.core.patch_node(name, {"spec": {"unschedulable": value}}, _request_timeout=30)

    def ignore(self, address: str) -> None:
        """Cordon the node (unless it already is: then it is not ours to uncordon)."""
        from kubernetes.client.rest import ApiException

        nodes = self._nodes()
        name = self._name_of(address, nodes)
        if name is None:
            logger.debug("No Kubernetes node has the address %s: nothing to cordon", address)
            return
        node = next(n for n in nodes if n.metadata.name == name)
        if node.spec.unschedulable:
            return
        try:
            self._set_unschedulable(name, True)
        except ApiException as exc:
            logger.warning("Could not cordon node %s (%s): new pods may still be placed on it", name, exc.reason)
            return
        self._cordoned.add(name)

    def unignore(self, address: str) -> None:
        """Uncordon the node if it was cordoned here."""
        from kubernetes.client.rest import ApiException

        name = self._name_of(address)
        if name is None or name not in self._cordoned:
            return
        try:
            self._set_unschedulable(name, False)
        except ApiException as exc:
            if exc.status != 404:
                logger.warning("Could not uncordon node %s (%s)", name, exc.reason)
                return
        self._cordoned.discard(name)

    def release_all(self) -> None:
        """Uncordon every node cordoned here (at shutdown: the next run starts with them usable)."""
        for name in list(self._cordoned):
            try:
                self._set_unschedulable(name, False)
            except Exception as exc:  # noqa: BLE001 - best effort at shutdown
                logger.warning("Could not uncordon node %s: %s", name, exc)
            self._cordoned.discard(name)
