"""The scaler's promises on the deterministic simulator (cluster_sim.py): bounds kept, no node
terminated while busy, scale-down after idleness, preemptible compensation, fewer node-hours
than a static cluster on a long tail, and the same result every run."""
from __future__ import annotations

from cluster_sim import MIXED_CONFIG, TRACES, SimCluster, sim_config, simulate, trace_long_tail, trace_mixed


def test_every_trace_completes_within_bounds_without_killing_busy_nodes() -> None:
    for name, trace in TRACES.items():
        config = sim_config(**(MIXED_CONFIG if name == "mixed" else {}))
        result = simulate(trace(), config, cluster=SimCluster(preemptions=(900, 1000, 2500)))
        assert result.violations == (), name
        assert result.peak_nodes <= sum(config.maxNodes), name


def test_cluster_shrinks_to_one_node_for_the_tail() -> None:
    result = simulate(trace_long_tail(), sim_config())
    late = [nodes for t, nodes, queued in result.history if t > 3600]
    assert late and max(late) == 1


def test_long_tail_costs_less_than_a_static_cluster() -> None:
    auto = simulate(trace_long_tail(), sim_config())
    static = simulate(trace_long_tail(), sim_config(), static=True)
    assert auto.node_hours < static.node_hours / 3


def test_missing_spot_nodes_are_replaced_with_on_demand_ones() -> None:
    def on_demand_small(compensation: float) -> int:
        cluster = SimCluster(spot_capacity=2)
        simulate(trace_mixed(), sim_config(**{**MIXED_CONFIG, "preemptibleCompensation": compensation}), cluster)
        return sum(1 for s in cluster.retired if s.node.nodeType == "m.small" and not s.node.preemptible)

    assert on_demand_small(0.0) == 0
    assert on_demand_small(1.0) > 0


def test_min_nodes_kept_through_idleness() -> None:
    result = simulate(trace_long_tail(), sim_config(minNodes=[3]))
    assert min(nodes for t, nodes, _ in result.history if t > 300) >= 3


def test_same_inputs_same_result() -> None:
    config = sim_config(**MIXED_CONFIG)
    assert simulate(trace_mixed(), config) == simulate(trace_mixed(), config)
