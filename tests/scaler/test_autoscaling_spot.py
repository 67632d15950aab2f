"""End to end on spot instances: ``--nodeTypes t2.medium:0.05`` (type:bid) with ``--provisioner aws``
on moto's EC2 and the Mesos protocol double (the harness of test_autoscaling_aws.py).

When bids are met (moto fulfils every spot request), the scaler asks for spot instances at the
bid, they join as preemptible agents and the preemptible jobs run on them. When bids are never met
(spot_market.UnmetBidProxy answers the spot calls as EC2 does for a bid below the spot price),
the open requests are cancelled after ``TOIL_AWS_SPOT_WAIT`` and ``--preemptibleCompensation``
starts on-demand nodes of the same type in their place: the workflow still completes.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

from ec2_agents import live_workers, run_autoscaled
from spot_market import UnmetBidProxy

NODE_TYPE = "t2.medium"
BID = 0.05
#: Four preemptible one-core jobs of 2 s, then a short tail: two 2-core nodes' worth of work.
WORKLOAD = ["--defaultPreemptible", "--width", "4", "--shortSeconds", "2", "--tailSeconds", "1"]


def _instances(ec2: Any, ids: List[str]) -> Dict[str, Dict[str, Any]]:
    found = ec2.describe_instances(InstanceIds=ids)["Reservations"] if ids else []
    return {i["InstanceId"]: i for r in found for i in r["Instances"]}


def _jobs(tmp_path: Path) -> List[Dict[str, Any]]:
    return [json.loads(p.read_text()) for p in (tmp_path / "markers").glob("*.json")]


def test_spot_bids_that_are_met_give_preemptible_nodes(tmp_path: Path, ec2: Any, aws_cluster: Any,
                                                       empty_mesos_double: Any) -> None:
    cluster, image = aws_cluster
    run = run_autoscaled(tmp_path, ec2, cluster, image, empty_mesos_double,
                         ["--nodeTypes", f"{NODE_TYPE}:{BID}", "--maxNodes", "2", *WORKLOAD])
    assert run.returncode == 0, run.output[-6000:]
    assert "burst_then_tail done" in run.output
    assert run.agents.errors == []

    # the workers were spot instances bought at the bid, one request each
    started = [e for e in run.agents.events if e["event"] == "start"]
    assert started and all(e["spec"].endswith(":preemptible") for e in started), started
    assert max(i for _, _, i in run.samples) == 2, run.samples
    requests = ec2.describe_spot_instance_requests(
        Filters=[{"Name": "tag:clusterName", "Values": [cluster.clusterName]}])["SpotInstanceRequests"]
    assert {float(r["SpotPrice"]) for r in requests} == {BID}
    assert {r["LaunchSpecification"]["InstanceType"] for r in requests} == {NODE_TYPE}
    instances = _instances(ec2, [e["instance"] for e in started])
    assert {i["InstanceLifecycle"] for i in instances.values()} == {"spot"}
    assert set(instances) <= {r.get("InstanceId") for r in requests}

    # every job ran on one of them, and none is left at the end
    jobs = _jobs(tmp_path)
    assert len([j for j in jobs if j["name"].startswith("short")]) == 4
    assert all(j["host"].split(":")[0] in run.agents.addresses for j in jobs), jobs
    assert live_workers(ec2, cluster.clusterName) == []
    assert empty_mesos_double.state()["lost"] == []


def test_unmet_spot_bids_are_compensated_with_on_demand_nodes(tmp_path: Path, ec2: Any, aws_cluster: Any,
                                                              empty_mesos_double: Any, moto_server: Any) -> None:
    cluster, image = aws_cluster
    market = UnmetBidProxy(moto_server.url)
    try:
        run = run_autoscaled(tmp_path, ec2, cluster, image, empty_mesos_double,
                             ["--nodeTypes", f"{NODE_TYPE}:{BID},{NODE_TYPE}", "--maxNodes", "2,2",
                              "--preemptibleCompensation", "1.0", *WORKLOAD],
                             env={"AWS_ENDPOINT_URL": market.url, "TOIL_AWS_SPOT_WAIT": "2"})
    finally:
        market.close()
    assert run.returncode == 0, run.output[-6000:]
    assert "burst_then_tail done" in run.output
    assert run.agents.errors == []

    # spot instances were asked for at the bid, never given, and the requests were cancelled
    assert market.opened, "the scaler never asked for spot instances"
    assert {price for price, _ in market.requests.values()} == {f"{BID:.6f}"}
    assert sorted(market.cancelled) == sorted(market.opened)

    # on-demand nodes of the same type stood in for them (the jobs alone ask only for spot nodes)
    started = [e for e in run.agents.events if e["event"] == "start"]
    assert started and not any(e["spec"].endswith(":preemptible") for e in started), started
    instances = _instances(ec2, [e["instance"] for e in started])
    assert {i["InstanceType"] for i in instances.values()} == {NODE_TYPE}
    assert all("InstanceLifecycle" not in i for i in instances.values())

    jobs = _jobs(tmp_path)
    assert len([j for j in jobs if j["name"].startswith("short")]) == 4
    assert all(j["host"].split(":")[0] in run.agents.addresses for j in jobs), jobs
    assert live_workers(ec2, cluster.clusterName) == []
