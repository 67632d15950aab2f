"""How much the cluster can still hold: the batch system's own queue submits a Job only when its
requests fit into what the schedulable nodes have left, so the cluster is never flooded with
pods that could only sit Pending (and the pod timeout counts only from scheduling).
"""
from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any, Dict, Iterable, List, Optional

import attrs

logger = logging.getLogger(__name__)

RESOURCES = ("cpu", "memory", "ephemeral-storage")


def parse_quantity(text: Any) -> Decimal:
    """A Kubernetes quantity ("1500m", "2Gi", "10") as a number (cores or bytes)."""
    from kubernetes.utils import parse_quantity as parse

    return Decimal(parse(str(text)))


@attrs.define
class NodeRoom:
    """One schedulable node: what it can give and what is already asked for on it."""

    name: str
    allocatable: Dict[str, Decimal]
    requested: Dict[str, Decimal] = attrs.field(factory=dict)

    def free(self, resource: str) -> Decimal:
        return self.allocatable.get(resource, Decimal(0)) - self.requested.get(resource, Decimal(0))

    def fits(self, request: Dict[str, Decimal]) -> bool:
        return all(self.free(key) >= value for key, value in request.items())

    def could_ever_fit(self, request: Dict[str, Decimal]) -> bool:
        return all(self.allocatable.get(key, Decimal(0)) >= value for key, value in request.items())

    def take(self, request: Dict[str, Decimal]) -> None:
        for key, value in request.items():
            self.requested[key] = self.requested.get(key, Decimal(0)) + value


def requests_of(manifest_resources: Dict[str, str]) -> Dict[str, Decimal]:
    return {key: parse_quantity(value) for key, value in manifest_resources.items()}


def _schedulable(node: Any) -> bool:
    if getattr(node.spec, "unschedulable", False):
        return False
    for taint in node.spec.taints or []:
        if taint.effect in ("NoSchedule", "NoExecute"):
            return False
    return any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])


def snapshot(core: Any, timeout: float = 10.0) -> Optional[List[NodeRoom]]:
    """The schedulable nodes with the requests of every pod still holding resources on them, or
    None if this user may not list nodes or pods (then nothing is held back)."""
    from kubernetes.client.rest import ApiException

    try:
        nodes = core.list_node(_request_timeout=timeout).items
        pods = core.list_pod_for_all_namespaces(
            field_selector="status.phase!=Succeeded,status.phase!=Failed", _request_timeout=timeout).items
    except ApiException as exc:
        logger.debug("Cannot read the cluster's capacity (%s); not holding jobs back.", exc.status)
        return None
    rooms = {node.metadata.name: NodeRoom(node.metadata.name,
                                          {k: parse_quantity(v) for k, v in (node.status.allocatable or {}).items()})
             for node in nodes if _schedulable(node)}
    for pod in pods:
        room = rooms.get(pod.spec.node_name or "")
        if room is None:
            continue
        for container in pod.spec.containers or []:
            requests = (container.resources.requests if container.resources else None) or {}
            room.take({k: parse_quantity(v) for k, v in requests.items()})
    return list(rooms.values())


def place(rooms: Iterable[NodeRoom], request: Dict[str, Decimal]) -> Optional[NodeRoom]:
    """The first node the request fits on now (and book it there), else None."""
    for room in rooms:
        if room.fits(request):
            room.take(request)
            return room
    return None
