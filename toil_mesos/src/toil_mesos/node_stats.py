"""What an executor tells the scheduler about its node, for the cluster scaler: cores and memory
used (fractions of the node's, read from /proc), the agent's totals, what its tasks asked for,
and how many run. Sent as the JSON of a framework message."""
from __future__ import annotations

import os
from typing import Any, Dict, Optional, Tuple

import attrs


def _cpu_times() -> Optional[Tuple[int, int]]:
    """``(busy, total)`` jiffies of all CPUs since boot, or None off Linux."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def memory_used_fraction() -> float:
    try:
        info: Dict[str, int] = {}
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                name, _, rest = line.partition(":")
                info[name] = int(rest.split()[0])
        return max(0.0, min(1.0, 1 - info["MemAvailable"] / info["MemTotal"]))
    except (OSError, KeyError, ValueError, IndexError, ZeroDivisionError):
        return 0.0


class CpuMeter:
    """The fraction of CPU time spent busy between two readings."""

    def __init__(self) -> None:
        self._last = _cpu_times()

    def used_fraction(self) -> float:
        now = _cpu_times()
        last, self._last = self._last, now
        if now is None or last is None or now[1] <= last[1]:
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
            return max(0.0, min(1.0, load / (os.cpu_count() or 1)))
        return max(0.0, min(1.0, (now[0] - last[0]) / (now[1] - last[1])))


@attrs.frozen
class NodeReport:
    """One executor's report (field names as upstream's NodeInfo)."""

    address: str
    coresUsed: float
    memoryUsed: float
    coresTotal: float
    memoryTotal: int
    requestedCores: float
    requestedMemory: int
    workers: int

    def to_json(self) -> Dict[str, Any]:
        return {"kind": "node_info", **attrs.asdict(self)}

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "NodeReport":
        return cls(**{field.name: data[field.name] for field in attrs.fields(cls)})
