"""The cluster scaler driving the kubernetes batch system on the real test cluster: its node stands
for a provisioned worker (an instance whose private address is the node's InternalIP, as on a
``-T kubernetes`` aws cluster). Told to shrink while a job's pod runs there, the scaler cordons the
node and keeps it; once the pod is gone it terminates the instance and uncordons the node."""
from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterator, List, Optional, Set

import pytest
from k8s_cluster import Cluster
from toil_core.provisioners.abstract import Shape
from toil_core.provisioners.cluster_scaler import ClusterScaler
from toil_core.provisioners.node import Node
from toil_core.testing import make_config, make_job_description

from toil_k8s.batch_system import KubernetesBatchSystem
from toil_k8s.nodes import internal_ip


class OneInstance:
    """A provisioner whose one worker instance is the test cluster's node; it records terminations."""

    def __init__(self, address: str) -> None:
        self.nodes: List[Node] = [Node(None, address, "i-k8s-node", 0.0, "node", False)]
        self.terminated: List[Node] = []

    def getNodeShape(self, instance_type: str, preemptible: bool = False) -> Shape:
        return Shape(3600, 4 * 2**30, 2, 20 * 2**30, preemptible)

    def addNodes(self, nodeTypes: Set[str], numNodes: int, preemptible: bool, spotBid: Optional[float] = None) -> int:
        raise AssertionError("the scaler should not grow an idle cluster")

    def terminateNodes(self, nodes: List[Node]) -> None:
        for node in nodes:
            self.nodes.remove(node)
            self.terminated.append(node)

    def getProvisionedWorkers(self, instance_type: Optional[str] = None,
                              preemptible: Optional[bool] = None) -> List[Node]:
        return list(self.nodes)


@pytest.fixture
def batch(k8s: Cluster, k8s_shared: Path) -> Iterator[KubernetesBatchSystem]:
    config = make_config(k8s_shared / "work-scaler", batchSystem="kubernetes", kubernetes_host_path=str(k8s_shared))
    system = KubernetesBatchSystem(config, 2, 2 * 2**30, 2 * 2**30)
    yield system
    system.shutdown()


def _eventually(check: Callable[[], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not true within {timeout} s")
        time.sleep(0.2)


def test_scaler_cordons_a_busy_node_and_terminates_it_once_idle(batch: KubernetesBatchSystem) -> None:
    [node] = batch.connection.core.list_node().items
    address, name = internal_ip(node), node.metadata.name
    provisioner = OneInstance(address)
    config = SimpleNamespace(nodeTypes=[(["node"], None)], minNodes=[0], maxNodes=[1], targetTime=10,
                             betaInertia=0.0, preemptibleCompensation=0.0, assumeZeroOverhead=True)
    scaler = ClusterScaler(provisioner, batch, config)
    unschedulable = lambda: bool(batch.connection.core.read_node(name).spec.unschedulable)  # noqa: E731
    job_id = batch.issueBatchJob("sleep 300", make_job_description(cores=0.1, memory=32 * 2**20))
    try:
        _eventually(lambda: batch.nodeInUse(address))
        scaler.check([])  # nothing queued: the node is surplus, but a job runs there
        assert provisioner.terminated == [] and unschedulable()
        scaler.check([])
        assert provisioner.terminated == []
    finally:
        batch.killBatchJobs([job_id])
    try:
        _eventually(lambda: not batch.nodeInUse(address))
        scaler.check([])
        assert [n.privateIP for n in provisioner.terminated] == [address]
        assert not unschedulable()
    finally:
        batch.connection.core.patch_node(name, {"spec": {"unschedulable": False}})
