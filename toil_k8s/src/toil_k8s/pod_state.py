"""What a pod's status means for its Toil job: still waiting, running, finished (with which exit
status and reason), or stuck. Pure functions over the client's V1Pod objects (or anything with
the same attributes), so they are tested without a cluster.
"""
from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any, Optional

import attrs

#: Waiting reasons of a scheduled container that never starts on its own. Upstream Toil checks
#: for "ImagePullBackoff", a spelling Kubernetes never uses, so it never catches a failed pull.
STUCK_REASONS = frozenset({
    "ContainerCreating", "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName",
    "CreateContainerConfigError", "CreateContainerError", "RunContainerError", "PodInitializing",
})


class Phase(enum.Enum):
    WAITING = "waiting"  # not scheduled yet (no room): waits as long as it takes
    STARTING = "starting"  # scheduled, container not running yet
    RUNNING = "running"
    DONE = "done"


@attrs.frozen
class PodView:
    """The facts of one pod that the batch system acts on."""

    phase: Phase
    scheduled_at: Optional[float] = None  # epoch seconds
    started_at: Optional[float] = None
    finished_at: Optional[float] = None
    exit_code: Optional[int] = None
    reason: Optional[str] = None  # terminated or waiting reason (OOMKilled, ImagePullBackOff, ...)
    message: Optional[str] = None

    @property
    def out_of_memory(self) -> bool:
        return self.reason == "OOMKilled"

    @property
    def wall_time(self) -> Optional[float]:
        if self.started_at is None or self.finished_at is None:
            return None
        return max(0.0, self.finished_at - self.started_at)


def _epoch(value: Any) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()
    return float(value)


def view_pod(pod: Any) -> PodView:
    """Read a V1Pod."""
    status = pod.status
    scheduled_at = None
    for condition in status.conditions or []:
        if condition.type == "PodScheduled" and condition.status == "True":
            scheduled_at = _epoch(condition.last_transition_time)
    statuses = status.container_statuses or []
    state = statuses[0].state if statuses else None
    terminated = getattr(state, "terminated", None) if state is not None else None
    running = getattr(state, "running", None) if state is not None else None
    waiting = getattr(state, "waiting", None) if state is not None else None
    if terminated is not None:
        return PodView(Phase.DONE, scheduled_at, _epoch(terminated.started_at), _epoch(terminated.finished_at),
                       int(terminated.exit_code), terminated.reason, terminated.message)
    if status.phase in ("Succeeded", "Failed"):
        # the pod ended without its container ever running (evicted, deleted node, ...)
        return PodView(Phase.DONE, scheduled_at, None, None, None, status.reason or status.phase, status.message)
    if running is not None:
        return PodView(Phase.RUNNING, scheduled_at, _epoch(running.started_at))
    if scheduled_at is None:
        return PodView(Phase.WAITING)
    reason = getattr(waiting, "reason", None) or "ContainerCreating"
    return PodView(Phase.STARTING, scheduled_at, reason=reason, message=getattr(waiting, "message", None))


def is_stuck(view: PodView, now: float, timeout: float) -> bool:
    """A scheduled pod whose container has not started within ``timeout`` seconds."""
    return (view.phase is Phase.STARTING and view.scheduled_at is not None
            and (view.reason or "ContainerCreating") in STUCK_REASONS and now - view.scheduled_at > timeout)
