"""The cluster scaler's policy: bin packing within the target time, beta inertia, preemptible
compensation, min/max bounds, and the overhead reserved on each node."""
from __future__ import annotations

import logging

import pytest

from toil_core.provisioners.abstract import Shape
from toil_core.provisioners.bin_packing import BinPackedFit, reserve_overhead
from toil_core.provisioners.cluster_scaler import JobShapeFeed, NodeType, ScalingPolicy

GIB = 1024 ** 3
NODE = Shape(3600, 8 * GIB, 2, 100 * GIB, False)
SPOT = Shape(3600, 8 * GIB, 2, 100 * GIB, True)


def job(seconds: float = 10, cores: float = 1, memory: int = GIB, preemptible: bool = False) -> Shape:
    return Shape(seconds, memory, cores, GIB, preemptible)


def node_type(shape: Shape = NODE, low: int = 0, high: int = 100, bid=None, name: str = "m") -> NodeType:
    return NodeType((name,), bid, low, high, shape)


def test_jobs_run_one_after_another_within_the_target_time() -> None:
    # two cores side by side, two 10 s jobs after each other on each: 4 jobs fit one node in 20 s
    assert BinPackedFit([NODE], 20).binPack([job()] * 4) == {NODE: 1}


def test_shorter_target_time_needs_more_nodes() -> None:
    assert BinPackedFit([NODE], 10).binPack([job()] * 4) == {NODE: 2}


def test_memory_limits_how_many_jobs_share_a_node() -> None:
    assert BinPackedFit([NODE], 10).binPack([job(memory=5 * GIB, cores=0.5)] * 3) == {NODE: 3}


def test_job_longer_than_the_target_time_gets_the_start_of_a_node() -> None:
    fit = BinPackedFit([NODE], 10)
    assert fit.binPack([job(seconds=100, cores=2)] * 2 + [job(cores=2)]) == {NODE: 3}


def test_non_preemptible_jobs_never_packed_on_preemptible_nodes() -> None:
    fit = BinPackedFit([SPOT, NODE], 10)
    assert fit.binPack([job(), job()]) == {SPOT: 0, NODE: 1}
    fit = BinPackedFit([SPOT, NODE], 10)
    assert fit.binPack([job(preemptible=True)] * 2) == {SPOT: 1, NODE: 0}


def test_job_too_big_for_every_node_type_is_reported_not_counted(caplog: pytest.LogCaptureFixture) -> None:
    fit = BinPackedFit([NODE], 10)
    with caplog.at_level(logging.WARNING):
        assert fit.binPack([job(cores=64)]) == {NODE: 0}
    assert "Couldn't fit job" in caplog.text and fit.unfit


def test_smallest_fitting_node_type_is_opened_first() -> None:
    big = Shape(3600, 64 * GIB, 16, 100 * GIB, False)
    fit = BinPackedFit([big, NODE], 10)
    assert fit.binPack([job()]) == {NODE: 1, big: 0}
    assert BinPackedFit([big, NODE], 10).binPack([job(memory=20 * GIB)]) == {NODE: 0, big: 1}


def test_overhead_is_taken_from_memory_and_disk() -> None:
    usable = reserve_overhead(NODE)
    # 25% of the first 4 GiB and 20% of the next 4
    assert usable.memory == int(8 * GIB - GIB - 0.8 * GIB)
    assert usable.disk == int(95 * GIB) and usable.cores == NODE.cores


def test_beta_inertia_smooths_the_estimate() -> None:
    t = node_type()
    policy = ScalingPolicy([t], target_time=10, beta_inertia=0.5, preemptible_compensation=0)
    # 20 two-core jobs of 10 s need 20 nodes: halfway from the current 0 is 10
    assert policy.estimate([job(cores=2)] * 20, {t: 0}) == {t: 10}
    assert policy.estimate([job(cores=2)] * 20, {t: 10}) == {t: 15}


def test_no_inertia_follows_the_estimate() -> None:
    t = node_type()
    policy = ScalingPolicy([t], target_time=10, beta_inertia=0.0, preemptible_compensation=0)
    assert policy.estimate([job(cores=2)] * 7, {t: 0}) == {t: 7}
    assert policy.estimate([], {t: 7}) == {t: 0}


def test_estimate_stays_within_min_and_max() -> None:
    t = node_type(low=2, high=5)
    policy = ScalingPolicy([t], target_time=10, beta_inertia=0.0, preemptible_compensation=0)
    assert policy.estimate([job(cores=2)] * 50, {t: 0}) == {t: 5}
    assert policy.estimate([], {t: 5}) == {t: 2}


def test_missing_preemptible_nodes_are_compensated_with_on_demand_ones() -> None:
    spot = node_type(SPOT, bid=0.5)
    demand = node_type()
    policy = ScalingPolicy([spot, demand], target_time=10, beta_inertia=0.0, preemptible_compensation=0.5)
    jobs = [job(cores=2, preemptible=True)] * 6
    assert policy.estimate(jobs, {}) == {spot: 6, demand: 0}
    policy.deficit[spot] = 4  # four spot nodes could not be started
    assert policy.estimate(jobs, {}) == {spot: 6, demand: 2}


def test_no_compensation_by_default() -> None:
    spot = node_type(SPOT, bid=0.5)
    demand = node_type()
    policy = ScalingPolicy([spot, demand], target_time=10, beta_inertia=0.0, preemptible_compensation=0.0)
    policy.deficit[spot] = 4
    assert policy.estimate([job(cores=2, preemptible=True)] * 6, {}) == {spot: 6, demand: 0}


def test_feed_learns_run_times_by_job_name() -> None:
    class Desc:
        def __init__(self, name: str) -> None:
            self.jobName, self.cores, self.memory, self.disk, self.preemptible = name, 1, GIB, GIB, False

    feed = JobShapeFeed(default_wall_time=99)
    feed.issued(1, Desc("a"))
    assert [s.wallTime for s in feed.shapes()] == [99]
    feed.finished(1, 4.0)
    feed.issued(2, Desc("a"))
    feed.issued(3, Desc("b"))
    assert sorted(s.wallTime for s in feed.shapes()) == [4.0, 4.0]  # b: the mean of all names
