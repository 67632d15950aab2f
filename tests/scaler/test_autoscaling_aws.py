"""End to end: a workflow on the ``mesos`` batch system (the Mesos protocol double) with
``--provisioner aws`` against moto's EC2. The test launches the cluster (its leader instance),
answers the leader's instance metadata calls as that instance, and stands a Mesos agent with its
instance type's resources behind each worker instance the provisioner starts (ec2_agents.py).
The cluster grows for a burst of jobs, shrinks while the tail job runs without losing a task,
and no worker instance is left at the end."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ec2_agents import NODE_STORAGE_GIB, MetadataService, live_workers, run_autoscaled

NODE_TYPE = "t2.medium"  # 2 vCPUs, 4 GiB in moto's instance type table: two 1-core jobs per node


def test_aws_provisioner_grows_and_shrinks_a_mesos_cluster(tmp_path: Path, ec2: Any, aws_cluster: Any,
                                                           empty_mesos_double: Any) -> None:
    cluster, image = aws_cluster
    marker_dir = tmp_path / "markers"
    stats = tmp_path / "stats"
    run = run_autoscaled(tmp_path, ec2, cluster, image, empty_mesos_double,
                         ["--nodeTypes", NODE_TYPE, "--maxNodes", "3", "--clusterStats", stats])
    out, samples, agents = run.output, run.samples, run.agents
    assert run.returncode == 0, out[-6000:]
    assert "burst_then_tail done" in out
    assert agents.errors == []

    # grew from no worker to --maxNodes instances, each with an agent of its type's resources
    started = [e for e in agents.events if e["event"] == "start"]
    assert len(started) >= 3 and {e["spec"] for e in started} == {f"2:4096:{NODE_STORAGE_GIB * 1024}"}
    assert max(n for _, n, _ in samples) == 3 and max(i for _, _, i in samples) == 3, samples

    # shrank while the tail job still ran (an idle node taken away), losing no task
    tail = json.loads(next(marker_dir.glob("tail-*.json")).read_text())
    during_tail = [n for t, n, _ in samples if t < tail["time"] - 1.0]
    assert 1 in during_tail[during_tail.index(3):], samples
    stopped_early = [e for e in agents.events if e["event"] == "stop" and e["time"] < tail["time"]]
    assert stopped_early, agents.events
    state = empty_mesos_double.state()
    assert state["lost"] == []

    # every job ran on an agent standing for one of the cluster's instances
    jobs = [json.loads(p.read_text()) for p in marker_dir.glob("*.json")]
    assert len([j for j in jobs if j["name"].startswith("short")]) == 6
    assert all(j["host"].split(":")[0] in agents.addresses for j in jobs), jobs

    # the leader terminated every worker at the end: no instance, no agent left
    assert live_workers(ec2, cluster.clusterName) == []
    assert state["slaves"] == []
    [stats_file] = list(stats.glob("cluster-stats-*.json"))
    assert max(s["wanted"][NODE_TYPE] for s in json.loads(stats_file.read_text())["samples"]) == 3


def test_leader_off_ec2_is_told_where_to_run(moto_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto_service import free_port

    from toil_aws.provisioner import AWSProvisioner
    from toil_core.plugin_api import ToilError

    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", f"http://127.0.0.1:{free_port()}")  # nobody there
    with pytest.raises(ToilError, match="not an EC2 instance.*leader node"):
        AWSProvisioner(None, "mesos", None, 8, None, None).readClusterSettings()


def test_instance_outside_any_cluster_is_refused(ec2: Any, moto_image: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from toil_aws.provisioner import AWSProvisioner
    from toil_core.plugin_api import ToilError

    image = moto_image
    [instance] = ec2.run_instances(ImageId=image, InstanceType="t2.micro", MinCount=1, MaxCount=1)["Instances"]
    metadata = MetadataService(instance["InstanceId"])
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", metadata.url)
    try:
        with pytest.raises(ToilError, match="no clusterName tag"):
            AWSProvisioner(None, "mesos", None, 8, None, None).readClusterSettings()
    finally:
        metadata.close()
        ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
