"""Fixtures of the toil-mesos tests: the Mesos protocol double (see mesos_support.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator, List, Optional

import pytest
from mesos_support import AGENTS, MesosCluster


@pytest.fixture(scope="session")
def mesos_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MesosCluster]:
    """The shared double (two ordinary agents and a preemptible one)."""
    cluster = MesosCluster(tmp_path_factory.mktemp("mesos-shared"), AGENTS)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[Callable[..., MesosCluster]]:
    """Start a double of one's own (for tests that kill agents or restart the master)."""
    started: List[MesosCluster] = []

    def start(agents: Optional[List[str]] = None) -> MesosCluster:
        cluster = MesosCluster(tmp_path / f"mesos{len(started)}", agents or AGENTS)
        started.append(cluster)
        return cluster

    yield start
    for cluster in started:
        cluster.stop()
