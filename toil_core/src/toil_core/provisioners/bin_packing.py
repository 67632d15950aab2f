"""Bin packing of job shapes into node shapes over a time window: how many nodes of each
node type the queued jobs need to finish within ``--targetTime``.

Each node keeps a timeline of its free cores, memory and disk. A job is placed on the first
node (of a type it may use) where, from some start time within the window, enough resources
stay free for the job's whole expected run time; a job that cannot finish within the window
anywhere opens a new node. Jobs longer than the window itself may only start at the
beginning of a node's timeline (they need a node of their own time anyway). Jobs are packed
largest first (first fit decreasing), which keeps the count close to the optimum.
"""
from __future__ import annotations

import logging
import math
from typing import Dict, Iterable, List, Optional

import attrs

from toil_core.provisioners.abstract import Shape

__all__ = ["BinPackedFit", "NodeReservation", "reserve_overhead"]

logger = logging.getLogger(__name__)

_GI = 1024 ** 3


def reserve_overhead(shape: Shape) -> Shape:
    """The part of a node's shape left to jobs once the operating system, the container runtime
    and the batch system's agent took theirs (what ``--assumeZeroOverhead`` turns off).

    Memory: a sliding scale as cloud Kubernetes services reserve it (25% of the first 4 GiB,
    20% of the next 4, 10% of the next 8, 6% of the next 112, 2% of the rest); disk: 5%,
    at least 1 GiB when the disk is large enough to spare it.
    """
    memory = shape.memory
    reserved = 0.0
    for size, fraction in ((4 * _GI, 0.25), (4 * _GI, 0.20), (8 * _GI, 0.10), (112 * _GI, 0.06)):
        part = min(memory, size)
        reserved += part * fraction
        memory -= part
        if memory <= 0:
            break
    if memory > 0:
        reserved += memory * 0.02
    disk_reserved = max(shape.disk * 0.05, _GI) if shape.disk > 4 * _GI else shape.disk * 0.05
    return attrs.evolve(shape, memory=int(shape.memory - reserved), disk=int(shape.disk - disk_reserved))


@attrs.define
class _Segment:
    start: float
    end: float
    cores: float
    memory: int
    disk: int

    def fits(self, job: Shape) -> bool:
        return self.cores >= job.cores - 1e-9 and self.memory >= job.memory and self.disk >= job.disk


class NodeReservation:
    """The free resources of one node over time, as jobs are placed on it."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.segments: List[_Segment] = [_Segment(0.0, math.inf, shape.cores, shape.memory, shape.disk)]
        self.jobs = 0

    def _split(self, at: float) -> None:
        for index, seg in enumerate(self.segments):
            if seg.start < at < seg.end:
                self.segments[index:index + 1] = [attrs.evolve(seg, end=at), attrs.evolve(seg, start=at)]
                return

    def try_place(self, job: Shape, window: float) -> bool:
        """Place ``job`` at the earliest start that fits it within ``window`` seconds; False if
        none does."""
        if not (job.cores <= self.shape.cores and job.memory <= self.shape.memory
                and job.disk <= self.shape.disk):
            return False
        for seg in self.segments:
            start = seg.start
            if start > 0 and start + job.wallTime > window:
                return False  # later starts end even later
            end = start + max(job.wallTime, 1e-6)
            if all(s.fits(job) for s in self.segments if s.end > start and s.start < end):
                self._split(start)
                self._split(end)
                for s in self.segments:
                    if s.start >= start and s.end <= end:
                        s.cores -= job.cores
                        s.memory -= job.memory
                        s.disk -= job.disk
                self.jobs += 1
                return True
        return False


def _may_use(job: Shape, node: Shape) -> bool:
    """Preemptible jobs may run anywhere; the others only on non-preemptible nodes."""
    return job.preemptible or not node.preemptible


class BinPackedFit:
    """Packs job shapes into nodes of the given shapes within ``target_time`` seconds.

    New nodes are opened on the first node shape the job fits, preemptible (cheaper) shapes
    first, then smaller ones: the order of :func:`node_shape_order`.
    """

    def __init__(self, node_shapes: Iterable[Shape], target_time: float) -> None:
        self.node_shapes = sorted(node_shapes, key=node_shape_order)
        self.target_time = float(target_time)
        self.nodes: Dict[Shape, List[NodeReservation]] = {shape: [] for shape in self.node_shapes}
        self.unfit: List[Shape] = []

    def binPack(self, jobShapes: Iterable[Shape]) -> Dict[Shape, int]:
        """Pack every job (largest first); return the node count needed per node shape."""
        for job in sorted(jobShapes, key=lambda j: (j.memory, j.cores, j.disk, j.wallTime), reverse=True):
            self.addJobShape(job)
        return self.getRequiredNodes()

    def addJobShape(self, job: Shape) -> Optional[Shape]:
        """Place one job; return the node shape it went to (None if it fits no node type)."""
        for shape in self.node_shapes:
            if not _may_use(job, shape):
                continue
            for node in self.nodes[shape]:
                if node.try_place(job, self.target_time):
                    return shape
        for shape in self.node_shapes:
            if _may_use(job, shape):
                node = NodeReservation(shape)
                if node.try_place(job, self.target_time):
                    self.nodes[shape].append(node)
                    return shape
        if job not in self.unfit:
            logger.warning("Couldn't fit job with requirements %s into any nodes in the nodeTypes list.", job)
        self.unfit.append(job)
        return None

    def getRequiredNodes(self) -> Dict[Shape, int]:
        return {shape: len(nodes) for shape, nodes in self.nodes.items()}


def node_shape_order(shape: Shape) -> tuple:
    """Preemptible shapes first, then by memory, cores and disk ascending."""
    return (not shape.preemptible, shape.memory, shape.cores, shape.disk)
