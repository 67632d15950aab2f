"""The kubernetes batch system's scalable interface (what the cluster scaler calls), on the real
test cluster's node: nodes by InternalIP with their allocatable cores and memory and this run's pods
on them, in use while a job's pod is there, cordoned by ignoreNode and uncordoned by unignoreNode
(only if it cordoned it), and preemptible nodes told apart by the spot label a ``-T kubernetes``
aws cluster gives its spot workers."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from k8s_cluster import Cluster
from toil_core.testing import make_config, make_job_description

from toil_k8s.batch_system import KubernetesBatchSystem
from toil_k8s.capacity import parse_quantity
from toil_k8s.nodes import internal_ip


@pytest.fixture
def batch(k8s: Cluster, k8s_shared: Path) -> Iterator[KubernetesBatchSystem]:
    config = make_config(k8s_shared / "work-scalable", batchSystem="kubernetes", kubernetes_host_path=str(k8s_shared))
    system = KubernetesBatchSystem(config, 2, 2 * 2**30, 2 * 2**30)
    yield system
    system.shutdown()


@pytest.fixture
def node(batch: KubernetesBatchSystem) -> Any:
    [only] = batch.connection.core.list_node().items
    return only


def _eventually(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not true within {timeout} s: {check.__doc__ or check}")
        time.sleep(0.2)


def _unschedulable(batch: KubernetesBatchSystem, name: str) -> bool:
    return bool(batch.connection.core.read_node(name).spec.unschedulable)


def test_nodes_are_listed_by_address_with_their_capacity(batch: KubernetesBatchSystem, node: Any) -> None:
    address = internal_ip(node)
    nodes = batch.getNodes()
    assert list(nodes) == [address]
    info = nodes[address]
    assert info.coresTotal == float(parse_quantity(node.status.allocatable["cpu"])) > 0
    assert info.memoryTotal == int(parse_quantity(node.status.allocatable["memory"])) > 0
    assert (info.workers, info.requestedCores) == (0, 0)
    assert batch.nodeInUse(address) is False


def test_a_running_job_puts_its_node_in_use(batch: KubernetesBatchSystem, node: Any) -> None:
    address = internal_ip(node)
    job_id = batch.issueBatchJob("sleep 120", make_job_description(cores=0.5, memory=64 * 2**20))
    try:
        _eventually(lambda: batch.nodeInUse(address))
        info = batch.getNodes()[address]
        assert info.workers == 1 and info.requestedCores == 0.5
        assert info.requestedMemory >= 64 * 2**20
    finally:
        batch.killBatchJobs([job_id])
    _eventually(lambda: not batch.nodeInUse(address))


def test_ignore_cordons_and_unignore_uncordons(batch: KubernetesBatchSystem, node: Any) -> None:
    address, name = internal_ip(node), node.metadata.name
    assert not _unschedulable(batch, name)
    try:
        batch.ignoreNode(address)
        assert _unschedulable(batch, name)
        assert list(batch.getNodes()) == [address]  # still a node of the cluster, as in mesos
    finally:
        batch.unignoreNode(address)
    assert not _unschedulable(batch, name)


def test_a_node_cordoned_by_someone_else_stays_cordoned(batch: KubernetesBatchSystem, node: Any) -> None:
    address, name = internal_ip(node), node.metadata.name
    core = batch.connection.core
    core.patch_node(name, {"spec": {"unschedulable": True}})
    try:
        batch.ignoreNode(address)
        batch.unignoreNode(address)
        assert _unschedulable(batch, name)
    finally:
        core.patch_node(name, {"spec": {"unschedulable": False}})


def test_shutdown_uncordons_what_the_run_cordoned(k8s: Cluster, k8s_shared: Path) -> None:
    config = make_config(k8s_shared / "work-scalable-2", batchSystem="kubernetes",
                         kubernetes_host_path=str(k8s_shared))
    system = KubernetesBatchSystem(config, 2, 2 * 2**30, 2 * 2**30)
    [node] = system.connection.core.list_node().items
    try:
        system.ignoreNode(internal_ip(node))
        assert _unschedulable(system, node.metadata.name)
    finally:
        system.shutdown()
    assert not _unschedulable(system, node.metadata.name)


def test_preemptible_nodes_are_those_with_the_spot_label(batch: KubernetesBatchSystem, node: Any) -> None:
    address, name = internal_ip(node), node.metadata.name
    core = batch.connection.core
    assert list(batch.getNodes(preemptible=False)) == [address] and batch.getNodes(preemptible=True) == {}
    core.patch_node(name, {"metadata": {"labels": {"eks.amazonaws.com/capacityType": "SPOT"}}})
    try:
        assert list(batch.getNodes(preemptible=True)) == [address] and batch.getNodes(preemptible=False) == {}
    finally:
        core.patch_node(name, {"metadata": {"labels": {"eks.amazonaws.com/capacityType": None}}})
    assert list(batch.getNodes(preemptible=False)) == [address]
