"""The cluster scaler on the deterministic simulator (tests/scaler/cluster_sim.py): makespan,
node-hours and cost of three workload traces on an autoscaled cluster against a static cluster
of --maxNodes. Simulated time, so the numbers do not depend on this machine.

    .venv/bin/python bench/cluster_scaler.py
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "scaler"))

from cluster_sim import MIXED_CONFIG, TRACES, SimCluster, sim_config, simulate  # noqa: E402


def main() -> None:
    print(f"{'trace':<12} {'cluster':<10} {'makespan h':>10} {'node-hours':>10} {'cost $':>8} {'peak':>5}")
    for name, trace in TRACES.items():
        config = sim_config(**(MIXED_CONFIG if name == "mixed" else {}))
        for label, static in (("autoscaled", False), ("static", True)):
            cluster = SimCluster(preemptions=(900, 2500) if name == "mixed" else ())
            result = simulate(trace(), config, cluster=cluster, static=static)
            print(f"{name:<12} {label:<10} {result.makespan / 3600:>10.2f} {result.node_hours:>10.1f} "
                  f"{result.cost:>8.2f} {result.peak_nodes:>5}")


if __name__ == "__main__":
    main()
