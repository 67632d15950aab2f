"""The cluster scaler: grows and shrinks an autoscaled cluster to fit the queued jobs.

Every ``--scaleInterval`` seconds the scaler

1. packs the shapes of the issued jobs (cores, memory, disk, preemptibility, and the expected
   run time learnt from finished jobs of the same name) into the node types of
   ``--nodeTypes`` so that they finish within ``--targetTime`` (:mod:`.bin_packing`);
2. smooths each node type's count with ``--betaInertia``
   (``new = beta * previous + (1 - beta) * estimate``);
3. adds, to a non-preemptible node type, ``--preemptibleCompensation`` times the preemptible
   nodes of the same instance types that were asked for and could not be started;
4. clamps the result to ``--minNodes`` / ``--maxNodes``;
5. adds nodes through the provisioner, or retires surplus ones. A node to retire is first
   *ignored* by the batch system (no new work goes there) and terminated only once no job
   runs on it; a node never dies with running work. If more nodes are wanted again while a
   node waits to retire, it is taken back instead of starting a new one.

It works with any batch system implementing
:class:`~toil_core.batch.abstract.AbstractScalableBatchSystem` and any provisioner
implementing :class:`~toil_core.provisioners.abstract.AbstractProvisioner`. At the end of the
run every autoscaled worker is terminated (as upstream).

The policy (:class:`ScalingPolicy`) is separate from the side effects (:class:`ClusterScaler`)
so it can be tested and simulated without a cluster.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

import attrs

from toil_core.provisioners.abstract import Shape
from toil_core.provisioners.bin_packing import BinPackedFit, reserve_overhead
from toil_core.provisioners.cluster_chart import cluster_chart_html

if TYPE_CHECKING:
    from toil_core.common.config import Config

__all__ = ["ClusterScaler", "JobShapeFeed", "NodeType", "ScalerThread", "ScalingPolicy", "node_types_from_config"]

logger = logging.getLogger(__name__)


@attrs.frozen
class NodeType:
    """One entry of ``--nodeTypes``: interchangeable instance types, the spot bid (preemptible
    when set), the bounds, and the shape jobs may use on such a node."""

    instance_types: Tuple[str, ...]
    spot_bid: Optional[float]
    min_nodes: int
    max_nodes: int
    shape: Shape

    @property
    def preemptible(self) -> bool:
        return self.spot_bid is not None

    def __str__(self) -> str:
        bid = f":{self.spot_bid}" if self.spot_bid is not None else ""
        return "/".join(self.instance_types) + bid


def node_types_from_config(config: Config, provisioner: Any) -> List[NodeType]:
    """The autoscaled node types of ``--nodeTypes`` with their bounds and usable shapes."""
    result = []
    zero_overhead = bool(config.assumeZeroOverhead)
    min_nodes = config.minNodes or [0] * len(config.nodeTypes)  # the checked config fills it in
    for index, (types, bid) in enumerate(config.nodeTypes):
        names = tuple(types)
        preemptible = bid is not None
        # Interchangeable types are packed as the smallest of them, so any of them will do.
        shapes = [provisioner.getNodeShape(name, preemptible=preemptible) for name in names]
        shape = min(shapes, key=lambda s: (s.memory, s.cores, s.disk))
        if not zero_overhead:
            shape = reserve_overhead(shape)
        result.append(NodeType(names, bid, int(min_nodes[index]), int(config.maxNodes[index]), shape))
    return result


def _round(value: float) -> int:
    return int(value + 0.5)


class ScalingPolicy:
    """How many nodes of each type to have: pure arithmetic over job shapes and node counts."""

    def __init__(self, node_types: Sequence[NodeType], target_time: float, beta_inertia: float,
                 preemptible_compensation: float) -> None:
        self.node_types = list(node_types)
        self.target_time = float(target_time)
        self.beta = float(beta_inertia)
        self.compensation = float(preemptible_compensation)
        self.smoothed: Dict[NodeType, float] = {}
        #: preemptible node type -> nodes asked for that the provisioner could not start
        self.deficit: Dict[NodeType, int] = {}

    def counterpart(self, node_type: NodeType) -> Optional[NodeType]:
        """The preemptible node type a non-preemptible one stands in for (same instance types)."""
        for other in self.node_types:
            if other.preemptible and set(other.instance_types) == set(node_type.instance_types):
                return other
        return None

    def raw_estimate(self, job_shapes: Iterable[Shape]) -> Dict[NodeType, int]:
        """Nodes of each type the jobs need to finish within the target time (no smoothing)."""
        fit = BinPackedFit([t.shape for t in self.node_types], self.target_time)
        by_shape = fit.binPack(job_shapes)
        result: Dict[NodeType, int] = {}
        seen = set()
        for node_type in self.node_types:
            # Two node types of one shape: the first gets the count.
            result[node_type] = 0 if node_type.shape in seen else by_shape.get(node_type.shape, 0)
            seen.add(node_type.shape)
        return result

    def estimate(self, job_shapes: Iterable[Shape], current: Dict[NodeType, int]) -> Dict[NodeType, int]:
        """The node count to aim for per node type (smoothed, compensated, clamped)."""
        raw = self.raw_estimate(job_shapes)
        wanted: Dict[NodeType, int] = {}
        for node_type in sorted(self.node_types, key=lambda t: not t.preemptible):
            estimate = float(raw[node_type])
            if not node_type.preemptible and self.compensation > 0:
                partner = self.counterpart(node_type)
                if partner is not None and self.deficit.get(partner, 0) > 0:
                    extra = _round(self.compensation * self.deficit[partner])
                    logger.debug("Adding %d %s nodes to make up for missing preemptible ones", extra, node_type)
                    estimate += extra
            previous = self.smoothed.get(node_type, float(current.get(node_type, 0)))
            smoothed = self.beta * previous + (1.0 - self.beta) * estimate
            self.smoothed[node_type] = smoothed
            wanted[node_type] = min(max(_round(smoothed), node_type.min_nodes), node_type.max_nodes)
        return wanted


class JobShapeFeed:
    """What the leader tells the scaler: the shapes of the jobs it issued and how long finished
    jobs ran. Thread safe (the leader writes, the scaler thread reads)."""

    def __init__(self, default_wall_time: float) -> None:
        self._lock = threading.Lock()
        self._issued: Dict[int, Tuple[str, float, int, int, bool]] = {}
        self._runtimes: Dict[str, Tuple[float, int]] = {}
        self._default = float(default_wall_time)

    def issued(self, batch_id: int, desc: Any) -> None:
        if getattr(desc, "local", False):
            return  # runs on the leader, not on a worker node
        with self._lock:
            self._issued[batch_id] = (str(desc.jobName), float(desc.cores), int(desc.memory), int(desc.disk),
                                      bool(desc.preemptible))

    def finished(self, batch_id: int, wall_time: Optional[float]) -> None:
        with self._lock:
            entry = self._issued.pop(batch_id, None)
            if entry is None or wall_time is None:
                return
            total, count = self._runtimes.get(entry[0], (0.0, 0))
            self._runtimes[entry[0]] = (total + float(wall_time), count + 1)

    def average_runtime(self, job_name: str) -> float:
        """Mean run time of finished jobs of this name, else of all jobs, else the default."""
        with self._lock:
            if job_name in self._runtimes:
                total, count = self._runtimes[job_name]
                return total / count
            total = sum(t for t, _ in self._runtimes.values())
            count = sum(c for _, c in self._runtimes.values())
        return total / count if count else self._default

    def shapes(self) -> List[Shape]:
        with self._lock:
            entries = list(self._issued.values())
        return [Shape(self.average_runtime(name), memory, cores, disk, preemptible)
                for name, cores, memory, disk, preemptible in entries]

    def __len__(self) -> int:
        with self._lock:
            return len(self._issued)


class ClusterScaler:
    """Applies the policy through a provisioner and a scalable batch system."""

    def __init__(self, provisioner: Any, batch_system: Any, config: Any,
                 node_types: Optional[List[NodeType]] = None, clock: Callable[[], float] = time.time) -> None:
        self.provisioner = provisioner
        self.batch_system = batch_system
        self.node_types = node_types if node_types is not None else node_types_from_config(config, provisioner)
        self.policy = ScalingPolicy(self.node_types, config.targetTime, config.betaInertia,
                                    config.preemptibleCompensation)
        self.clock = clock
        #: address -> node waiting to be terminated once idle
        self.retiring: Dict[str, Any] = {}
        self.history: List[Dict[str, Any]] = []

    def workers(self, node_type: NodeType) -> List[Any]:
        return [node for node in self.provisioner.getProvisionedWorkers(preemptible=node_type.preemptible)
                if node.nodeType in node_type.instance_types]

    def check(self, job_shapes: List[Shape]) -> Dict[NodeType, int]:
        """One round: estimate, then grow or shrink each node type; returns the targets."""
        workers = {t: self.workers(t) for t in self.node_types}
        alive = {n.privateIP for nodes in workers.values() for n in nodes}
        for address in [a for a in self.retiring if a not in alive]:
            # gone by itself (preempted, terminated elsewhere): nothing left to retire
            del self.retiring[address]
            self.batch_system.unignoreNode(address)
        current = {t: sum(1 for n in nodes if n.privateIP not in self.retiring) for t, nodes in workers.items()}
        wanted = self.policy.estimate(job_shapes, current)
        for node_type in self.node_types:
            self._set_count(node_type, wanted[node_type], workers[node_type])
        self.terminate_idle_retiring()
        self.history.append({"time": self.clock(), "queued_jobs": len(job_shapes),
                             "nodes": {str(t): current[t] for t in self.node_types},
                             "wanted": {str(t): wanted[t] for t in self.node_types},
                             "retiring": len(self.retiring)})
        return wanted

    def _set_count(self, node_type: NodeType, wanted: int, workers: List[Any]) -> None:
        active = [n for n in workers if n.privateIP not in self.retiring]
        if wanted > len(active):
            need = wanted - len(active)
            for node in [n for n in workers if n.privateIP in self.retiring][:need]:
                logger.info("Keeping node %s after all: it is needed again", node)
                del self.retiring[node.privateIP]
                self.batch_system.unignoreNode(node.privateIP)
                need -= 1
            if need > 0:
                logger.info("Adding %d %s nodes to get to the desired cluster size of %d", need, node_type, wanted)
                got = self.provisioner.addNodes(set(node_type.instance_types), need, node_type.preemptible,
                                                node_type.spot_bid)
                got = need if got is None else int(got)
                if node_type.preemptible:
                    self.policy.deficit[node_type] = max(0, need - got)
                if got < need:
                    logger.warning("Only %d of %d %s nodes could be started", got, need, node_type)
            elif node_type.preemptible:
                self.policy.deficit[node_type] = 0
        elif wanted < len(active):
            surplus = len(active) - wanted
            for node in self._retire_order(active)[:surplus]:
                logger.info("Retiring node %s: the cluster should shrink to %d %s nodes", node, wanted, node_type)
                self.batch_system.ignoreNode(node.privateIP)
                self.retiring[node.privateIP] = node
        elif node_type.preemptible:
            self.policy.deficit[node_type] = 0

    def _retire_order(self, nodes: List[Any]) -> List[Any]:
        """Idle nodes first, then the least loaded, then the oldest."""
        try:
            info = self.batch_system.getNodes()
        except Exception:  # a batch system that cannot say: fall back to in-use only
            info = {}

        def key(node: Any) -> Tuple[bool, float, float]:
            node_info = info.get(node.privateIP)
            load = node_info.requestedCores if node_info is not None else 0.0
            return (bool(self.batch_system.nodeInUse(node.privateIP)), load, node.launchTime)

        return sorted(nodes, key=key)

    def terminate_idle_retiring(self) -> List[Any]:
        """Terminate the retiring nodes no job runs on; return them."""
        idle = [n for address, n in self.retiring.items() if not self.batch_system.nodeInUse(address)]
        if idle:
            logger.info("Terminating %d idle node(s): %s", len(idle), ", ".join(str(n) for n in idle))
            self.provisioner.terminateNodes(idle)
            for node in idle:
                del self.retiring[node.privateIP]
                self.batch_system.unignoreNode(node.privateIP)
        return idle

    def shutdown(self) -> None:
        """Terminate every autoscaled worker (the workflow is over)."""
        nodes = [n for t in self.node_types for n in self.workers(t)]
        if nodes:
            logger.info("Forcing provisioner to reduce cluster size to zero (%d nodes).", len(nodes))
            self.provisioner.terminateNodes(nodes)
        for address in list(self.retiring):
            self.batch_system.unignoreNode(address)
        self.retiring.clear()

    def write_stats(self, directory: str) -> str:
        """Write the node counts over time (``--clusterStats``) as JSON, and next to it the same
        drawn as an HTML chart (``.html``, see cluster_chart.py); return the JSON's path."""
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, f"cluster-stats-{os.getpid()}-{int(self.clock())}.json")
        stats = {"node_types": [str(t) for t in self.node_types], "samples": self.history}
        with open(path, "w") as stream:
            json.dump(stats, stream, indent=1)
        chart = path[: -len(".json")] + ".html"
        with open(chart + ".tmp", "w") as stream:
            stream.write(cluster_chart_html(stats))
        os.replace(chart + ".tmp", chart)
        return path


class ScalerThread(threading.Thread):
    """Runs :meth:`ClusterScaler.check` every ``interval`` seconds with the leader's job shapes
    until stopped; then terminates the workers."""

    def __init__(self, scaler: ClusterScaler, feed: JobShapeFeed, interval: float,
                 stats_dir: Optional[str] = None) -> None:
        super().__init__(name="toil-cluster-scaler", daemon=True)
        self.scaler = scaler
        self.feed = feed
        self.interval = float(interval)
        self.stats_dir = stats_dir
        self._stop_event = threading.Event()
        self.error: Optional[BaseException] = None

    def run(self) -> None:
        while True:
            try:
                self.scaler.check(self.feed.shapes())
            except Exception as error:  # keep scaling on the next round; the leader goes on
                logger.exception("Cluster scaling round failed: %s", error)
                self.error = error
            if self._stop_event.wait(self.interval):
                return

    def stop(self) -> None:
        """Stop scaling, terminate the workers and write ``--clusterStats``."""
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=max(60.0, self.interval))
        try:
            self.scaler.shutdown()
        finally:
            if self.stats_dir:
                path = self.scaler.write_stats(self.stats_dir)
                logger.info("Wrote cluster statistics to %s", path)
