"""The ``--clusterStats`` chart (cluster_chart.py): the HTML page written next to the JSON draws
the nodes, the scaler's targets and the queued jobs of each scaling round; checked by reading the
numbers the SVG carries back."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Dict, List

from scaler_fakes import GIB, MemoryBatchSystem, MemoryProvisioner
from test_cluster_scaler import config

from toil_core.provisioners.abstract import Shape
from toil_core.provisioners.cluster_chart import cluster_chart_html, node_seconds, series
from toil_core.provisioners.cluster_scaler import ClusterScaler

SVG = "{http://www.w3.org/2000/svg}"


def _svg(page: str) -> ET.Element:
    """The inline SVG of the page, parsed (so it must be well-formed XML)."""
    return ET.fromstring(re.search(r"<svg .*</svg>", page, re.S).group(0))


def _series(page: str) -> Dict[str, List[List[float]]]:
    return {line.get("data-label"): [[float(x) for x in point.split(":")] for point in line.get("data-points").split()]
            for line in _svg(page).iter(f"{SVG}polyline")}


def _run(tmp_path: Path) -> Path:
    """A scaler run on a virtual clock: 3 jobs queued (grow to 3), then none (shrink to 0)."""
    now = [1000.0]
    provisioner, batch = MemoryProvisioner(), MemoryBatchSystem()
    scaler = ClusterScaler(provisioner, batch, config(), clock=lambda: now[0])
    for queued in (3, 3, 0, 0):
        scaler.check([Shape(10, GIB, 2, GIB, False)] * queued)
        now[0] += 10
    return Path(scaler.write_stats(str(tmp_path)))


def test_chart_written_next_to_the_stats(tmp_path: Path) -> None:
    stats_path = _run(tmp_path)
    chart = stats_path.with_suffix(".html")
    assert chart.exists()
    stats = json.loads(stats_path.read_text())
    drawn = _series(chart.read_text())
    assert set(drawn) == {"small nodes", "small wanted", "queued jobs"}
    assert [v for _, v in drawn["queued jobs"]] == [s["queued_jobs"] for s in stats["samples"]] == [3, 3, 0, 0]
    assert [v for _, v in drawn["small wanted"]] == [s["wanted"]["small"] for s in stats["samples"]]
    assert [v for _, v in drawn["small nodes"]] == [s["nodes"]["small"] for s in stats["samples"]]
    assert [t for t, _ in drawn["queued jobs"]] == [0, 10, 20, 30]


def test_summary_counts_peak_nodes_and_node_seconds(tmp_path: Path) -> None:
    page = _run(tmp_path).with_suffix(".html").read_text()
    summary = re.search(r'<p class="summary"([^>]*)>([^<]*)</p>', page)
    assert 'data-peak-nodes="3"' in summary.group(1) and 'data-peak-queued="3"' in summary.group(1)
    # nodes per round are 0, 3, 3, 0 (counted before each round acts): 3 nodes for 20 s
    assert 'data-node-seconds="60.000"' in summary.group(1)
    assert "4 scaling rounds" in summary.group(2) and "peak 3 nodes" in summary.group(2)


def test_node_seconds_is_the_area_under_the_steps() -> None:
    stats: Dict[str, Any] = {"node_types": ["a", "b"], "samples": [
        {"time": 5.0, "queued_jobs": 4, "nodes": {"a": 1, "b": 0}, "wanted": {"a": 2, "b": 1}},
        {"time": 15.0, "queued_jobs": 2, "nodes": {"a": 2, "b": 1}, "wanted": {"a": 2, "b": 1}},
        {"time": 20.0, "queued_jobs": 0, "nodes": {"a": 2, "b": 1}, "wanted": {"a": 0, "b": 0}}]}
    nodes, wanted, queued = series(stats)
    assert nodes["a"] == [(0.0, 1.0), (10.0, 2.0), (15.0, 2.0)]
    assert node_seconds(nodes["a"]) == 20.0 and node_seconds(nodes["b"]) == 5.0
    assert queued[0] == (0.0, 4.0) and wanted["b"][-1] == (15.0, 0.0)
    drawn = _series(cluster_chart_html(stats))
    assert set(drawn) == {"a nodes", "a wanted", "b nodes", "b wanted", "queued jobs"}


def test_empty_run_says_nothing_to_draw() -> None:
    page = cluster_chart_html({"node_types": ["small"], "samples": []})
    assert "no scaling round" in page
    assert _svg(page).tag == f"{SVG}svg"
