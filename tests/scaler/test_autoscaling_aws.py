"""End to end: a workflow on the ``mesos`` batch system (the Mesos protocol double) with
``--provisioner aws`` against moto's EC2. The test launches the cluster (its leader instance),
answers the leader's instance metadata calls as that instance, and stands a Mesos agent with its
instance type's resources behind each worker instance the provisioner starts (ec2_agents.py).
The cluster grows for a burst of jobs, shrinks while the tail job runs without losing a task,
and no worker instance is left at the end."""
from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest
from ec2_agents import InstanceAgents, MetadataService
from mesos_support import run_python

HERE = Path(__file__).resolve().parent
WORKFLOW = HERE / "workflows" / "burst_then_tail.py"
NODE_TYPE = "t2.medium"  # 2 vCPUs, 4 GiB in moto's instance type table: two 1-core jobs per node
NODE_STORAGE_GIB = 8


@pytest.fixture
def ec2(moto_server: Any) -> Any:
    import boto3

    return boto3.client("ec2", endpoint_url=moto_server.url, region_name="us-east-1")


@pytest.fixture
def aws_cluster(ec2: Any) -> Iterator[Tuple[Any, str]]:
    """A launched cluster (leader instance, security group, instance profile) and its AMI."""
    from toil_aws.provisioner import AWSProvisioner

    image = ec2.describe_images()["Images"][0]["ImageId"]
    cluster = AWSProvisioner(f"autoscale-{uuid.uuid4().hex[:8]}", "mesos", "us-east-1a", NODE_STORAGE_GIB,
                             None, None)
    saved = os.environ.get("TOIL_AWS_AMI")
    os.environ["TOIL_AWS_AMI"] = image
    try:
        cluster.launchCluster(leaderNodeType="t2.medium", leaderStorage=NODE_STORAGE_GIB, keyName="autoscale-key")
        yield cluster, image
    finally:
        cluster.destroyCluster()
        if saved is None:
            os.environ.pop("TOIL_AWS_AMI", None)
        else:
            os.environ["TOIL_AWS_AMI"] = saved


def _live_workers(ec2: Any, name: str) -> List[str]:
    found = ec2.describe_instances(Filters=[{"Name": "tag:clusterName", "Values": [name]},
                                            {"Name": "tag:ToilNodeType", "Values": ["worker"]},
                                            {"Name": "instance-state-name", "Values": ["pending", "running"]}])
    return [i["InstanceId"] for r in found["Reservations"] for i in r["Instances"]]


def test_aws_provisioner_grows_and_shrinks_a_mesos_cluster(tmp_path: Path, ec2: Any, aws_cluster: Any,
                                                           empty_mesos_double: Any) -> None:
    cluster, image = aws_cluster
    double = empty_mesos_double
    marker_dir = tmp_path / "markers"
    marker_dir.mkdir()
    stats = tmp_path / "stats"
    metadata = MetadataService(cluster.getLeader().name)
    samples: List[Tuple[float, int, int]] = []  # (time, live agents, live worker instances)
    try:
        with InstanceAgents(ec2, cluster.clusterName, double.control, NODE_STORAGE_GIB * 1024) as agents:
            proc = run_python([WORKFLOW, f"file:{tmp_path / 'js'}", "--markers", marker_dir,
                               "--batchSystem", "mesos", "--mesosEndpoint", double.master,
                               "--provisioner", "aws", "--nodeTypes", NODE_TYPE, "--maxNodes", "3",
                               "--nodeStorage", str(NODE_STORAGE_GIB), "--scaleInterval", "1",
                               "--targetTime", "1", "--betaInertia", "0", "--clusterStats", stats, "--logInfo"],
                              cwd=tmp_path, background=True,
                              env={"AWS_EC2_METADATA_SERVICE_ENDPOINT": metadata.url, "TOIL_AWS_AMI": image})
            try:
                deadline = time.monotonic() + 240
                while proc.poll() is None:
                    assert time.monotonic() < deadline, "the autoscaled workflow did not finish in time"
                    samples.append((time.time(), len(double.state()["slaves"]),
                                    len(_live_workers(ec2, cluster.clusterName))))
                    time.sleep(0.3)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            agents.sync()  # the instances the leader terminated on its way out
    finally:
        metadata.close()
    out = (tmp_path / "run.out").read_text() + (tmp_path / "run.err").read_text()
    assert proc.returncode == 0, out[-6000:]
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
    state = double.state()
    assert state["lost"] == []

    # every job ran on an agent standing for one of the cluster's instances
    jobs = [json.loads(p.read_text()) for p in marker_dir.glob("*.json")]
    assert len([j for j in jobs if j["name"].startswith("short")]) == 6
    assert all(j["host"].split(":")[0] in agents.addresses for j in jobs), jobs

    # the leader terminated every worker at the end: no instance, no agent left
    assert _live_workers(ec2, cluster.clusterName) == []
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


def test_instance_outside_any_cluster_is_refused(ec2: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from toil_aws.provisioner import AWSProvisioner
    from toil_core.plugin_api import ToilError

    image = ec2.describe_images()["Images"][0]["ImageId"]
    [instance] = ec2.run_instances(ImageId=image, InstanceType="t2.micro", MinCount=1, MaxCount=1)["Instances"]
    metadata = MetadataService(instance["InstanceId"])
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", metadata.url)
    try:
        with pytest.raises(ToilError, match="no clusterName tag"):
            AWSProvisioner(None, "mesos", None, 8, None, None).readClusterSettings()
    finally:
        metadata.close()
        ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
