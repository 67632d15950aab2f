"""Reading Mesos offers and agents, and writing task descriptions: the pure part of the scheduler.

Mesos counts ``mem`` and ``disk`` in MiB and ``cpus`` in (fractional) cores. An agent is
preemptible when its ``preemptible`` attribute (upstream Toil's clusters spell it ``preemptable``)
is true; a job that is not preemptible never runs there.
"""
from __future__ import annotations

import json
import math
from typing import Any, Dict, List, Mapping, Optional

import attrs

from toil_mesos.http_api import encode_data

MIB = 2**20
PREEMPTIBLE_ATTRIBUTES = ("preemptible", "preemptable")


@attrs.define
class Resources:
    """Cores, and memory and disk in bytes."""

    cores: float = 0.0
    memory: int = 0
    disk: int = 0

    def fits(self, cores: float, memory: int, disk: int) -> bool:
        return cores <= self.cores + 1e-9 and memory <= self.memory and disk <= self.disk

    def take(self, cores: float, memory: int, disk: int) -> None:
        self.cores -= cores
        self.memory -= memory
        self.disk -= disk


def offer_resources(offer: Mapping[str, Any], role: Optional[str]) -> Resources:
    """What the offer gives this framework (only resources allocated to ``role`` when one is set)."""
    total = Resources()
    for resource in offer.get("resources") or []:
        if resource.get("type", "SCALAR") != "SCALAR":
            continue
        allocated = (resource.get("allocation_info") or {}).get("role")
        if role and allocated not in (None, role):
            continue
        value = float((resource.get("scalar") or {}).get("value", 0))
        if resource.get("name") == "cpus":
            total.cores += value
        elif resource.get("name") == "mem":
            total.memory += int(value * MIB)
        elif resource.get("name") == "disk":
            total.disk += int(value * MIB)
    return total


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "yes", "1")


def is_preemptible(attributes: Any) -> bool:
    """Whether an agent's attributes (a v1 list of ``{name, type, text|scalar}`` or the
    ``/master/slaves`` mapping) mark it preemptible."""
    if isinstance(attributes, Mapping):
        return any(_truthy(attributes.get(name)) for name in PREEMPTIBLE_ATTRIBUTES if name in attributes)
    for attribute in attributes or []:
        if attribute.get("name") in PREEMPTIBLE_ATTRIBUTES:
            value = (attribute.get("text") or {}).get("value")
            if value is None:
                value = (attribute.get("scalar") or {}).get("value")
            return _truthy(value)
    return False


def scalar(name: str, value: float, role: Optional[str]) -> Dict[str, Any]:
    resource: Dict[str, Any] = {"name": name, "type": "SCALAR", "scalar": {"value": value}}
    if role:
        resource["allocation_info"] = {"role": role}
    return resource


def task_info(task_id: str, name: str, agent_id: str, cores: float, memory: int, disk: int,
              payload: Dict[str, Any], executor: Dict[str, Any], role: Optional[str]) -> Dict[str, Any]:
    """A v1 TaskInfo that runs ``payload`` (see :mod:`toil_mesos.executor`) in ``executor``."""
    return {
        "name": name,
        "task_id": {"value": task_id},
        "agent_id": {"value": agent_id},
        "resources": [scalar("cpus", cores, role), scalar("mem", math.ceil(memory / MIB), role),
                      scalar("disk", math.ceil(disk / MIB), role)],
        "executor": executor,
        "data": encode_data(json.dumps(payload).encode()),
    }


def executor_info(executor_id: str, framework_id: str, command: str) -> Dict[str, Any]:
    """The same ExecutorInfo for every task, so an agent runs one executor for the framework."""
    return {"type": "CUSTOM", "executor_id": {"value": executor_id}, "framework_id": {"value": framework_id},
            "name": "toil executor", "command": {"value": command, "shell": True}}


def agent_totals(slave: Mapping[str, Any]) -> Resources:
    """An agent's total resources from a ``/master/slaves`` entry."""
    resources = slave.get("resources") or {}
    return Resources(float(resources.get("cpus", 0)), int(float(resources.get("mem", 0)) * MIB),
                     int(float(resources.get("disk", 0)) * MIB))


def describe(resources: Resources) -> str:
    return f"{resources.cores:g} cores, {resources.memory / MIB:.0f} MiB memory, {resources.disk / MIB:.0f} MiB disk"


def largest(agents: List[Resources]) -> Optional[Resources]:
    return max(agents, key=lambda r: (r.cores, r.memory, r.disk)) if agents else None
