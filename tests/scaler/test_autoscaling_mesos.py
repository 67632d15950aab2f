"""End to end: a workflow on the ``mesos`` batch system (against the Mesos protocol double)
with ``--provisioner mesos_double``, whose nodes are agents the double starts and stops. The
cluster starts empty, grows for a burst of jobs, shrinks to one node for the long tail job
without losing a task, and is emptied at the end."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, List, Tuple

from mesos_support import run_python

HERE = Path(__file__).resolve().parent
WORKFLOW = HERE / "workflows" / "burst_then_tail.py"


def _watch(proc: Any, cluster: Any, deadline: float) -> List[Tuple[float, int]]:
    """(time, live agents) samples until the workflow exits."""
    samples = []
    end = time.monotonic() + deadline
    while proc.poll() is None:
        assert time.monotonic() < end, "the autoscaled workflow did not finish in time"
        samples.append((time.time(), len(cluster.state()["slaves"])))
        time.sleep(0.2)
    return samples


def test_workflow_grows_and_shrinks_the_cluster(tmp_path: Path, empty_mesos_double: Any,
                                               provisioner_path: str) -> None:
    cluster = empty_mesos_double
    markers = tmp_path / "markers"
    markers.mkdir()
    stats = tmp_path / "stats"
    proc = run_python([WORKFLOW, f"file:{tmp_path / 'js'}", "--markers", markers,
                       "--batchSystem", "mesos", "--mesosEndpoint", cluster.master,
                       "--provisioner", "mesos_double", "--nodeTypes", "double.small", "--maxNodes", "3",
                       "--scaleInterval", "1", "--targetTime", "1", "--betaInertia", "0",
                       "--clusterStats", stats, "--logInfo"],
                      cwd=tmp_path, background=True,
                      env={"PYTHONPATH": os.pathsep.join(filter(None, [provisioner_path,
                                                                       os.environ.get("PYTHONPATH")])),
                           "TOIL_TEST_MESOS_DOUBLE_CONTROL": cluster.control})
    try:
        samples = _watch(proc, cluster, deadline=150)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = (tmp_path / "run.out").read_text() + (tmp_path / "run.err").read_text()
    assert proc.returncode == 0, out[-6000:]
    assert "burst_then_tail done" in out
    state = cluster.state()
    # grew from nothing to the most --maxNodes allows
    assert max(count for _, count in samples) == 3, samples
    assert len(state["agents_added"]) >= 3
    # shrank to one node while the tail job still ran, and lost no task on the way
    tail = json.loads(next(markers.glob("tail-*.json")).read_text())
    during_tail = [count for t, count in samples if t < tail["time"] - 1.0]
    peak = during_tail.index(3)
    assert 1 in during_tail[peak:], samples
    assert any(k["time"] < tail["time"] for k in state["agents_killed"]), state["agents_killed"]
    assert state["lost"] == []
    # every job ran as a Mesos task on a provisioned agent, and the cluster is empty at the end
    assert len(list(markers.glob("short*.json"))) == 6
    assert state["slaves"] == []
    [stats_file] = list(stats.glob("cluster-stats-*.json"))
    samples_written = json.loads(stats_file.read_text())["samples"]
    assert max(s["wanted"]["double.small"] for s in samples_written) == 3
