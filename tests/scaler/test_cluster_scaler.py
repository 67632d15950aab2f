"""The cluster scaler acting on a cluster (in-memory provisioner and batch system): it grows,
shrinks only idle nodes, waits for busy ones, takes retiring nodes back, and refuses bad setups."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from scaler_fakes import GIB, MemoryBatchSystem, MemoryProvisioner

from toil_core.common.config import OptionError
from toil_core.provisioners.abstract import Shape
from toil_core.provisioners.cluster_scaler import ClusterScaler
from toil_core.provisioners.scaler_setup import start_cluster_scaler


def config(**overrides: Any) -> Any:
    values = dict(nodeTypes=[(["small"], None)], minNodes=[0], maxNodes=[4], targetTime=10, betaInertia=0.0,
                  preemptibleCompensation=0.0, assumeZeroOverhead=True, provisioner="memory",
                  batchSystem="single_machine", nodeStorage=50, nodeStorageOverrides=[], clusterStats=None,
                  scaleInterval=1)
    values.update(overrides)
    return SimpleNamespace(**values)


def jobs(count: int) -> list:
    return [Shape(10, GIB, 2, GIB, False)] * count


@pytest.fixture
def cluster() -> Any:
    provisioner, batch = MemoryProvisioner(), MemoryBatchSystem()
    return provisioner, batch, ClusterScaler(provisioner, batch, config())


def test_grows_to_the_estimate_bounded_by_max_nodes(cluster: Any) -> None:
    provisioner, _batch, scaler = cluster
    scaler.check(jobs(3))
    assert len(provisioner.nodes) == 3
    scaler.check(jobs(10))
    assert len(provisioner.nodes) == 4


def test_idle_surplus_nodes_are_terminated(cluster: Any) -> None:
    provisioner, batch, scaler = cluster
    scaler.check(jobs(3))
    scaler.check(jobs(1))
    assert len(provisioner.nodes) == 1 and len(provisioner.terminated) == 2
    assert not batch.ignored


def test_busy_node_is_ignored_until_idle_then_terminated(cluster: Any) -> None:
    provisioner, batch, scaler = cluster
    scaler.check(jobs(2))
    batch.busy = {n.privateIP for n in provisioner.nodes}
    scaler.check([])
    assert provisioner.terminated == [] and len(batch.ignored) == 2  # no new work, but not killed
    busy = sorted(batch.busy)
    batch.busy = {busy[0]}
    scaler.check([])
    assert [n.privateIP for n in provisioner.terminated] == [busy[1]]
    batch.busy = set()
    scaler.check([])
    assert provisioner.nodes == [] and batch.ignored == set()


def test_idle_nodes_are_retired_before_busy_ones(cluster: Any) -> None:
    provisioner, batch, scaler = cluster
    scaler.check(jobs(3))
    batch.busy = {provisioner.nodes[0].privateIP}
    scaler.check(jobs(1))
    assert [n.privateIP for n in provisioner.nodes] == [provisioner.nodes[0].privateIP]
    assert batch.ignored == set()


def test_retiring_node_is_taken_back_when_needed_again(cluster: Any) -> None:
    provisioner, batch, scaler = cluster
    scaler.check(jobs(1))
    batch.busy = {provisioner.nodes[0].privateIP}
    scaler.check([])
    assert batch.ignored
    scaler.check(jobs(1))
    assert batch.ignored == set() and len(provisioner.nodes) == 1 and not provisioner.terminated


def test_min_nodes_kept_when_idle() -> None:
    provisioner, batch = MemoryProvisioner(), MemoryBatchSystem()
    scaler = ClusterScaler(provisioner, batch, config(minNodes=[2]))
    scaler.check([])
    assert len(provisioner.nodes) == 2


def test_spot_shortfall_recorded_and_compensated() -> None:
    provisioner, batch = MemoryProvisioner(spot_capacity=1), MemoryBatchSystem()
    scaler = ClusterScaler(provisioner, batch, config(nodeTypes=[(["small"], 0.1), (["small"], None)],
                                                      minNodes=[0, 0], maxNodes=[4, 4],
                                                      preemptibleCompensation=1.0))
    spot_jobs = [Shape(10, GIB, 2, GIB, True)] * 3
    scaler.check(spot_jobs)
    assert sum(n.preemptible for n in provisioner.nodes) == 1
    scaler.check(spot_jobs)
    assert sum(not n.preemptible for n in provisioner.nodes) == 2


def test_shutdown_terminates_every_worker(cluster: Any) -> None:
    provisioner, _batch, scaler = cluster
    scaler.check(jobs(3))
    scaler.shutdown()
    assert provisioner.nodes == [] and len(provisioner.terminated) == 3


def test_cluster_stats_written(cluster: Any, tmp_path: Any) -> None:
    import json

    _provisioner, _batch, scaler = cluster
    scaler.check(jobs(2))
    data = json.loads(open(scaler.write_stats(str(tmp_path))).read())
    assert data["samples"][0]["wanted"] == {"small": 2} and data["samples"][0]["queued_jobs"] == 2


def test_provisioner_needs_a_scalable_batch_system() -> None:
    with pytest.raises(OptionError, match="cannot be autoscaled"):
        start_cluster_scaler(config(), object())


def test_provisioner_needs_node_types() -> None:
    from toil_core.batch.abstract import AbstractScalableBatchSystem

    class Scalable(MemoryBatchSystem):
        pass

    AbstractScalableBatchSystem.register(Scalable)
    with pytest.raises(OptionError, match="--nodeTypes"):
        start_cluster_scaler(config(nodeTypes=[]), Scalable())
