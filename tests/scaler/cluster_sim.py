"""A deterministic simulator of an autoscaled cluster: a virtual clock, a simulated provisioner
(boot delays, a cap on spot capacity, preemptions at given times, per-node-hour prices) and a
simulated scalable batch system (first-fit scheduling on ready, non-ignored nodes), driven by
the real :class:`~toil_core.provisioners.cluster_scaler.ClusterScaler`. Used by the scaler's
tests and by ``bench/cluster_scaler.py``; the same inputs always give the same outputs."""
from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any, Dict, List, Optional, Set, Tuple

import attrs

from toil_core.provisioners.abstract import Shape
from toil_core.provisioners.cluster_scaler import ClusterScaler, JobShapeFeed
from toil_core.provisioners.node import Node

GIB = 1024 ** 3
#: instance type -> (cores, memory, disk, price per hour on demand)
CATALOG = {"m.small": (4, 16 * GIB, 100 * GIB, 0.20), "m.large": (16, 64 * GIB, 400 * GIB, 0.80)}
SPOT_DISCOUNT = 0.3


@attrs.define
class SimJob:
    name: str
    submit: float
    duration: float
    cores: float
    memory: int
    preemptible: bool = False
    disk: int = GIB
    node: Optional[str] = None
    started: Optional[float] = None
    done: Optional[float] = None
    batch_id: int = 0
    local: bool = False

    @property
    def jobName(self) -> str:
        return self.name


@attrs.define
class SimNode:
    node: Node
    ready_at: float
    cores: float
    memory: int
    price: float
    start: float
    end: Optional[float] = None
    jobs: List[SimJob] = attrs.field(factory=list)


class SimCluster:
    """Provisioner and batch system in one (they share the simulated machines)."""

    def __init__(self, boot_delay: float = 90, spot_capacity: int = 1000,
                 preemptions: Tuple[float, ...] = ()) -> None:
        self.now = 0.0
        self.boot_delay = boot_delay
        self.spot_capacity = spot_capacity
        self.preemptions = sorted(preemptions)
        self.nodes: Dict[str, SimNode] = {}
        self.retired: List[SimNode] = []
        self.ignored: Set[str] = set()
        self.violations: List[str] = []
        self.preempted_jobs = 0
        self._ids = itertools.count(1)

    # provisioner
    def getNodeShape(self, instance_type: str, preemptible: bool = False) -> Shape:
        cores, memory, disk, _ = CATALOG[instance_type]
        return Shape(3600, memory, cores, disk, preemptible)

    def addNodes(self, nodeTypes: Set[str], numNodes: int, preemptible: bool, spotBid: Optional[float] = None) -> int:
        kind = sorted(nodeTypes)[0]
        if preemptible:
            live_spot = sum(1 for n in self.nodes.values() if n.node.preemptible)
            numNodes = max(0, min(numNodes, self.spot_capacity - live_spot))
        cores, memory, _disk, price = CATALOG[kind]
        for _ in range(numNodes):
            n = next(self._ids)
            node = Node(None, f"10.0.{n // 250}.{n % 250}", f"i-{n}", self.now, kind, preemptible)
            self.nodes[node.privateIP] = SimNode(node, self.now + self.boot_delay, cores, memory,
                                                 price * (SPOT_DISCOUNT if preemptible else 1.0), self.now)
        return numNodes

    def terminateNodes(self, nodes: List[Node]) -> None:
        for node in nodes:
            sim = self.nodes.pop(node.privateIP)
            if sim.jobs:
                self.violations.append(f"{node} terminated with {len(sim.jobs)} running jobs at t={self.now}")
            sim.end = self.now
            self.retired.append(sim)

    def getProvisionedWorkers(self, instance_type: Optional[str] = None,
                              preemptible: Optional[bool] = None) -> List[Node]:
        return [s.node for s in self.nodes.values() if (instance_type is None or s.node.nodeType == instance_type)
                and (preemptible is None or s.node.preemptible == preemptible)]

    # batch system
    def getNodes(self, preemptible: Optional[bool] = None, timeout: int = 600) -> Dict[str, Any]:
        return {ip: SimpleNamespace(requestedCores=sum(j.cores for j in s.jobs)) for ip, s in self.nodes.items()
                if s.ready_at <= self.now}

    def nodeInUse(self, nodeIP: str) -> bool:
        sim = self.nodes.get(nodeIP)
        return bool(sim and sim.jobs)

    def ignoreNode(self, nodeAddress: str) -> None:
        self.ignored.add(nodeAddress)

    def unignoreNode(self, nodeAddress: str) -> None:
        self.ignored.discard(nodeAddress)

    # simulation
    def schedule(self, queue: List[SimJob]) -> None:
        for job in list(queue):
            for ip, sim in self.nodes.items():
                if sim.ready_at > self.now or ip in self.ignored or (sim.node.preemptible and not job.preemptible):
                    continue
                if sim.cores - sum(j.cores for j in sim.jobs) >= job.cores and \
                        sim.memory - sum(j.memory for j in sim.jobs) >= job.memory:
                    sim.jobs.append(job)
                    job.node, job.started = ip, self.now
                    queue.remove(job)
                    break

    def preempt(self, queue: List[SimJob]) -> None:
        while self.preemptions and self.preemptions[0] <= self.now:
            self.preemptions.pop(0)
            spot = [s for s in self.nodes.values() if s.node.preemptible]
            if spot:
                victim = spot[0]
                for job in victim.jobs:
                    job.node = job.started = None
                    queue.append(job)
                    self.preempted_jobs += 1
                victim.jobs = []
                self.terminateNodes([victim.node])

    def node_hours(self) -> Tuple[float, float]:
        hours = cost = 0.0
        for sim in [*self.retired, *self.nodes.values()]:
            seconds = (sim.end if sim.end is not None else self.now) - sim.start
            hours += seconds / 3600
            cost += seconds / 3600 * sim.price
        return hours, cost


@attrs.frozen
class SimResult:
    makespan: float
    node_hours: float
    cost: float
    peak_nodes: int
    violations: Tuple[str, ...]
    history: Tuple[Tuple[float, int, int], ...]  # (time, nodes, queued jobs)


def simulate(jobs: List[SimJob], config: Any, cluster: Optional[SimCluster] = None, static: bool = False,
             tick: float = 5.0, limit: float = 7 * 24 * 3600) -> SimResult:
    """Run ``jobs`` to completion on an autoscaled cluster (or, with ``static``, on ``--maxNodes``
    nodes of each type from the start, never scaled)."""
    cluster = cluster or SimCluster()
    scaler = ClusterScaler(cluster, cluster, config, clock=lambda: cluster.now)
    feed = JobShapeFeed(default_wall_time=float(config.targetTime))
    if static:
        for node_type in scaler.node_types:
            cluster.addNodes(set(node_type.instance_types), node_type.max_nodes, node_type.preemptible,
                             node_type.spot_bid)
    pending = sorted(jobs, key=lambda j: j.submit)
    for index, job in enumerate(pending):
        job.batch_id = index
    queue: List[SimJob] = []
    running: List[SimJob] = []
    last_scale = -1e18
    history = []
    peak = 0
    while pending or queue or running:
        if cluster.now > limit:
            raise RuntimeError("the simulation did not finish (a job fits no node type?)")
        while pending and pending[0].submit <= cluster.now:
            job = pending.pop(0)
            queue.append(job)
            feed.issued(job.batch_id, job)
        for sim in cluster.nodes.values():
            for job in [j for j in sim.jobs if j.started is not None and j.started + j.duration <= cluster.now]:
                sim.jobs.remove(job)
                job.done = cluster.now
                feed.finished(job.batch_id, job.duration)
        cluster.preempt(queue)
        for job in queue:
            if job.batch_id not in feed._issued:
                feed.issued(job.batch_id, job)
        if not static and cluster.now - last_scale >= config.scaleInterval:
            scaler.check(feed.shapes())
            last_scale = cluster.now
        cluster.schedule(queue)
        running = [j for s in cluster.nodes.values() for j in s.jobs]
        peak = max(peak, len(cluster.nodes))
        history.append((cluster.now, len(cluster.nodes), len(queue)))
        if pending or queue or running:
            cluster.now += tick
    makespan = cluster.now
    scaler.shutdown() if not static else cluster.terminateNodes(cluster.getProvisionedWorkers())
    hours, cost = cluster.node_hours()
    return SimResult(makespan, hours, cost, peak, tuple(cluster.violations), tuple(history))


def sim_config(**overrides: Any) -> Any:
    values = dict(nodeTypes=[(["m.small"], None)], minNodes=[0], maxNodes=[10], targetTime=1800, betaInertia=0.1,
                  preemptibleCompensation=0.0, assumeZeroOverhead=False, scaleInterval=60)
    values.update(overrides)
    return SimpleNamespace(**values)


def trace_wide_burst() -> List[SimJob]:
    """400 one-core jobs of five minutes, all at once."""
    return [SimJob("burst", 0, 300, 1, 2 * GIB) for _ in range(400)]


def trace_long_tail() -> List[SimJob]:
    """100 short jobs, then one job of three hours that runs alone."""
    return [SimJob("short", 0, 120, 2, 4 * GIB) for _ in range(100)] + [SimJob("tail", 600, 3 * 3600, 2, 4 * GIB)]


def trace_mixed() -> List[SimJob]:
    """Small preemptible jobs and large on-demand ones, in two waves."""
    jobs = []
    for wave in (0, 1800):
        jobs += [SimJob("small", wave, 600, 1, 3 * GIB, preemptible=True) for _ in range(120)]
        jobs += [SimJob("large", wave, 1800, 12, 48 * GIB) for _ in range(6)]
    return jobs


TRACES = {"wide burst": trace_wide_burst, "long tail": trace_long_tail, "mixed": trace_mixed}
MIXED_CONFIG = dict(nodeTypes=[(["m.small"], 0.06), (["m.small"], None), (["m.large"], None)],
                    minNodes=[0, 0, 0], maxNodes=[10, 10, 4], preemptibleCompensation=1.0)
