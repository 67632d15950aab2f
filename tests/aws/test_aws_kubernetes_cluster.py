"""A ``-T kubernetes`` cluster of the ``aws`` provisioner against moto's EC2: the leader's user data
runs ``kubeadm init`` with the bootstrap token the provisioner made, workers wait for the CA hash
the leader publishes (``python3 -m toil_aws.kubernetes_nodes publish``, run here as the leader's
set-up runs it) and their user data joins the leader with the three join values and the node
labels the scaler and toil_k8s read.

No instance boots under moto and there is no internet for kubeadm: the set-up script itself runs
in tests/k8s/test_k8s_cluster_nodes.py against the real test cluster.
"""
from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import uuid
from typing import Any, Dict, Iterator

import pytest
import yaml

from toil_aws import kubernetes_nodes, user_data

IMAGE = "registry.example.org/toil-appliance:4.5.6"
CA_HASH = "sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def ec2(moto_server: Any) -> Any:
    import boto3

    return boto3.client("ec2", endpoint_url=moto_server.url, region_name="us-east-1")


@pytest.fixture(scope="module")
def kube_cluster(ec2: Any) -> Iterator[Any]:
    """A kubernetes cluster's leader on moto (no workers yet)."""
    from toil_aws.provisioner import AWSProvisioner

    patch = pytest.MonkeyPatch()
    patch.setenv("TOIL_AWS_AMI", ec2.describe_images()["Images"][0]["ImageId"])
    patch.setenv("TOIL_APPLIANCE_SELF", IMAGE)
    cluster = AWSProvisioner(f"kube-{uuid.uuid4().hex[:8]}", "kubernetes", "us-east-1a", 8, None, None)
    try:
        cluster.launchCluster(leaderNodeType="t2.medium", leaderStorage=8, keyName="k")
        yield cluster
    finally:
        cluster.destroyCluster()
        patch.undo()


def _user_data(ec2: Any, instance_id: str) -> str:
    answer = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
    return base64.b64decode(answer["UserData"]["Value"]).decode()


def _files(config: str) -> Dict[str, str]:
    return {f["path"]: f["content"] for f in yaml.safe_load(config)["write_files"]}


def _values(config: str) -> Dict[str, str]:
    """The node's values file, as bash reads it."""
    text = _files(config)[kubernetes_nodes.VALUES_FILE]
    out = subprocess.run(["bash", "-c", 'set -a; eval "$1"; env -0', "-", text], capture_output=True, text=True,
                         check=True, env={"PATH": os.environ["PATH"]}).stdout
    return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)


def test_leader_user_data_initialises_the_control_plane_with_a_fresh_token(kube_cluster: Any, ec2: Any) -> None:
    leader = kube_cluster.getLeader()
    config = _user_data(ec2, leader.name)
    files = _files(config)
    assert files[kubernetes_nodes.SETUP_SCRIPT] == kubernetes_nodes.SETUP_SCRIPT_TEXT
    values = _values(config)
    assert values["ROLE"] == "leader" and values["CLUSTER_NAME"] == kube_cluster.clusterName
    assert re.fullmatch(r"[a-z0-9]{6}\.[a-z0-9]{16}", values["JOIN_TOKEN"])
    assert values["TOIL_APPLIANCE_SELF"] == IMAGE
    unit = files["/etc/systemd/system/toil-leader.service"]
    assert "Requires=toil-kubernetes.service" in unit and "After=network-online.target toil-kubernetes.service" in unit
    assert yaml.safe_load(config)["runcmd"][1:] == [["systemctl", "enable", "--now", "--no-block", unit_name]
                                                    for unit_name in ("toil-kubernetes.service", "toil-leader.service")]
    assert leader.tags["ToilNodeType"] == "leader" and leader.tags["clusterName"] == kube_cluster.clusterName


def test_leader_appliance_sees_the_kubeconfig(kube_cluster: Any, ec2: Any) -> None:
    script = _files(_user_data(ec2, kube_cluster.getLeader().name))[user_data.START_SCRIPT]
    line = [x for x in script.splitlines() if x.startswith("exec ")][0]
    words = line.split()
    assert "/root/.kube:/root/.kube" in words
    assert "KUBECONFIG=/root/.kube/config" in words and f"TOIL_APPLIANCE_SELF={IMAGE}" in words
    assert words[words.index("--entrypoint=sleep") + 1:] == [IMAGE, "infinity"]


def test_workers_wait_for_the_leaders_ca_hash(kube_cluster: Any, ec2: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from toil_core.plugin_api import ToilError

    leader = kube_cluster.getLeader()
    published = leader.tags.get(kubernetes_nodes.CA_HASH_TAG)
    if published:  # an earlier test published it: this test is about the time before that
        ec2.delete_tags(Resources=[leader.name], Tags=[{"Key": kubernetes_nodes.CA_HASH_TAG}])
    workers = len(kube_cluster.getProvisionedWorkers())
    try:
        monkeypatch.setenv(kubernetes_nodes.JOIN_WAIT_ENV, "0.3")
        with pytest.raises(ToilError, match=kubernetes_nodes.CA_HASH_TAG):
            kube_cluster.addNodes({"t2.micro"}, 2, preemptible=False)
        assert len(kube_cluster.getProvisionedWorkers()) == workers
    finally:
        if published:
            ec2.create_tags(Resources=[leader.name], Tags=[{"Key": kubernetes_nodes.CA_HASH_TAG, "Value": published}])


@pytest.fixture(scope="module")
def published(kube_cluster: Any, moto_server: Any) -> str:
    """The leader's set-up step that publishes the CA hash, run as the appliance runs it."""
    leader = kube_cluster.getLeader().name
    proc = subprocess.run([sys.executable, "-m", "toil_aws.kubernetes_nodes", "publish", CA_HASH, leader],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"})
    assert proc.returncode == 0, proc.stderr
    return leader


def test_publishing_tags_the_leader(kube_cluster: Any, published: str) -> None:
    assert kube_cluster.getLeader().tags[kubernetes_nodes.CA_HASH_TAG] == CA_HASH


def test_publish_refuses_a_malformed_hash(kube_cluster: Any, moto_server: Any) -> None:
    proc = subprocess.run([sys.executable, "-m", "toil_aws.kubernetes_nodes", "publish", "md5:1234",
                           kube_cluster.getLeader().name], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "sha256:<64 hex digits>" in proc.stderr


@pytest.mark.parametrize("preemptible", [False, True], ids=["on-demand", "spot"])
def test_worker_user_data_joins_the_leader(kube_cluster: Any, ec2: Any, published: str, preemptible: bool) -> None:
    before = {n.name for n in kube_cluster.getProvisionedWorkers()}
    assert kube_cluster.addNodes({"t2.micro"}, 1, preemptible=preemptible, spotBid=0.05 if preemptible else None) == 1
    [node] = [n for n in kube_cluster.getProvisionedWorkers() if n.name not in before]
    assert node.preemptible == preemptible and node.nodeType == "t2.micro"
    assert node.tags["ToilNodeType"] == "worker" and node.tags["clusterName"] == kube_cluster.clusterName
    config = _user_data(ec2, node.name)
    values = _values(config)
    leader_config = _user_data(ec2, kube_cluster.getLeader().name)
    assert values["ROLE"] == "worker"
    assert values["JOIN_ENDPOINT"] == f"{kube_cluster.getLeader().privateIP}:6443"
    assert values["JOIN_TOKEN"] == _values(leader_config)["JOIN_TOKEN"]
    assert values["JOIN_CERT_HASH"] == CA_HASH
    assert values["NODE_LABELS"].split(",") == [
        "node.kubernetes.io/instance-type=t2.micro",
        f"eks.amazonaws.com/capacityType={'SPOT' if preemptible else 'ON_DEMAND'}"]
    files = _files(config)
    assert user_data.START_SCRIPT not in files  # pods run the appliance, not a container of Toil's
    assert yaml.safe_load(config)["runcmd"][1:] == [["systemctl", "enable", "--now", "--no-block",
                                                     "toil-kubernetes.service"]]


def test_join_values_refuse_a_bad_token() -> None:
    with pytest.raises(ValueError, match="bootstrap token"):
        kubernetes_nodes.JoinValues("10.0.0.1:6443", "not-a-token", CA_HASH)
    token = kubernetes_nodes.new_token()
    assert repr(kubernetes_nodes.JoinValues("10.0.0.1:6443", token, CA_HASH)).count(token) == 0
