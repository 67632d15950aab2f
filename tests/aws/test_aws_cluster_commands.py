"""``toil launch-cluster`` / ``ssh-cluster`` / ``rsync-cluster`` / ``destroy-cluster`` with the aws
provisioner against moto's EC2 and IAM. No instance boots under moto, so ssh and rsync are
checked up to the command they run (a recording ``ssh`` / ``rsync`` first on PATH, the leader's
address given by TOIL_CLUSTER_LEADER_ADDRESS)."""
from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from moto_service import free_port
from podman_setup import ensure_busybox_image, ensure_podman
from sshd_service import Sshd
from toil_core.cli import destroy_cluster, launch_cluster, rsync_cluster, ssh_cluster
from toil_core.cli.cluster_common import LEADER_CONTAINER


@pytest.fixture(scope="module")
def ami_id(moto_server: Any) -> str:
    """An image moto offers (listing them is slow: once per module)."""
    import boto3

    ec2 = boto3.client("ec2", endpoint_url=moto_server.url, region_name="us-east-1")
    return ec2.describe_images()["Images"][0]["ImageId"]


@pytest.fixture
def moto_ami(ami_id: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TOIL_AWS_AMI", ami_id)
    return ami_id


@pytest.fixture
def ec2(moto_server: Any) -> Any:
    import boto3

    return boto3.client("ec2", endpoint_url=moto_server.url, region_name="us-east-1")


def _instances(ec2: Any, name: str) -> List[Dict[str, Any]]:
    found = ec2.describe_instances(Filters=[{"Name": "tag:clusterName", "Values": [name]},
                                            {"Name": "instance-state-name", "Values": ["pending", "running"]}])
    return [i for r in found["Reservations"] for i in r["Instances"]]


LEADER_LABEL = "toil-test=cluster-leader"


@pytest.fixture(scope="module")
def leader_container() -> Iterator[str]:
    """A container named as the appliance on a leader (``toil_leader``), running on this machine,
    which the sshd fixture stands in for: ``toil ssh-cluster`` execs its command there. A tiny
    busybox image built from the host's busybox, with a hostname to tell it from the host."""
    try:
        podman = ensure_podman()
        image = ensure_busybox_image(podman, "localhost/busybox:ci")
    except RuntimeError as error:
        pytest.fail(f"podman is needed for the leader's container: {error}")
    existing = subprocess.run([podman, "container", "inspect", "--format", "{{index .Config.Labels \"toil-test\"}}",
                               LEADER_CONTAINER], capture_output=True, text=True)
    if existing.returncode == 0:
        if existing.stdout.strip() != "cluster-leader":
            pytest.fail(f"a container named {LEADER_CONTAINER} that these tests did not start exists on this machine")
        subprocess.run([podman, "rm", "-f", LEADER_CONTAINER], capture_output=True, check=True)
    subprocess.run([podman, "run", "-d", "--name", LEADER_CONTAINER, "--label", LEADER_LABEL, "--network=none",
                    "--hostname", "toil-leader-appliance", image, "sleep", "3600"], capture_output=True, check=True)
    try:
        yield LEADER_CONTAINER
    finally:
        subprocess.run([podman, "rm", "-f", "-t", "0", LEADER_CONTAINER], capture_output=True)


@pytest.fixture(scope="module")
def launched(ami_id: str) -> Iterator[str]:
    """A cluster launched with ``toil launch-cluster`` (a leader and two static workers)."""
    image = ami_id
    name = f"cmds-{uuid.uuid4().hex[:8]}"
    saved = os.environ.get("TOIL_AWS_AMI")
    os.environ["TOIL_AWS_AMI"] = image
    try:
        assert launch_cluster.main([name, "-z", "us-east-1a", "--leaderNodeType", "t2.medium", "--keyPairName",
                                    "k", "-t", "team=genomics", "--nodeTypes", "t2.micro", "-w", "2"]) == 0
        yield name
        destroy_cluster.main([name, "-z", "us-east-1a"])
    finally:
        if saved is None:
            os.environ.pop("TOIL_AWS_AMI", None)
        else:
            os.environ["TOIL_AWS_AMI"] = saved


@pytest.fixture
def at_sshd(sshd_leader: Sshd, monkeypatch: pytest.MonkeyPatch) -> Sshd:
    """The cluster commands' leader address, port, user and ssh-agent: the loopback sshd."""
    for key, value in sshd_leader.leader_env().items():
        monkeypatch.setenv(key, value)
    return sshd_leader


def test_launch_tags_and_destroy(moto_ami: str, ec2: Any, capsys: pytest.CaptureFixture) -> None:
    name = f"cmds-{uuid.uuid4().hex[:8]}"
    assert launch_cluster.main([name, "-z", "us-east-1a", "--leaderNodeType", "t2.medium", "--keyPairName", "k",
                                "-t", "team=genomics", "--nodeTypes", "t2.micro", "-w", "2"]) == 0
    assert f"toil ssh-cluster {name}" in capsys.readouterr().out
    nodes = _instances(ec2, name)
    roles = sorted({t["Key"]: t["Value"] for t in i["Tags"]}["ToilNodeType"] for i in nodes)
    assert roles == ["leader", "worker", "worker"]
    assert all({t["Key"]: t["Value"] for t in i["Tags"]}["team"] == "genomics" for i in nodes)
    assert destroy_cluster.main([name, "-z", "us-east-1a"]) == 0
    assert _instances(ec2, name) == []


def test_ssh_cluster_runs_a_command_in_the_leader_appliance(launched: str, at_sshd: Sshd, leader_container: str,
                                                             capfd: pytest.CaptureFixture) -> None:
    """Over real ssh to the leader, the command runs inside the leader's appliance container."""
    status = ssh_cluster.main(["-z", "us-east-1a", "--insecure", "--grafana_port", str(free_port()), launched,
                               "cat", "/etc/hostname"])
    out = capfd.readouterr().out
    assert status == 0
    assert out.strip() == "toil-leader-appliance"


def test_ssh_cluster_passes_the_remote_exit_status(launched: str, at_sshd: Sshd, leader_container: str) -> None:
    assert ssh_cluster.main(["-z", "us-east-1a", "--insecure", "--grafana_port", str(free_port()), launched,
                             "sh", "-c", "exit 7"]) == 7


def test_ssh_cluster_needs_an_existing_cluster(moto_server: Any, at_sshd: Sshd,
                                               capsys: pytest.CaptureFixture) -> None:
    assert ssh_cluster.main(["-z", "us-east-1a", "--insecure", "no-such-cluster", "true"]) == 1
    assert "no-such-cluster" in capsys.readouterr().err


def test_rsync_cluster_copies_to_the_leader(launched: str, at_sshd: Sshd, tmp_path: Path) -> None:
    local = tmp_path / "local"
    local.mkdir()
    (local / "a.txt").write_text("from the laptop\n")
    remote = tmp_path / "on-leader"
    remote.mkdir()
    assert rsync_cluster.main(["-z", "us-east-1a", "--insecure", launched, "-r", f"{local}/",
                               f":{remote}/"]) == 0
    assert (remote / "a.txt").read_text() == "from the laptop\n"


def test_rsync_cluster_copies_from_the_leader(launched: str, at_sshd: Sshd, tmp_path: Path) -> None:
    remote = tmp_path / "on-leader.txt"
    remote.write_bytes(b"results\x00\x01" * 1000)
    back = tmp_path / "back"
    back.mkdir()
    assert rsync_cluster.main(["-z", "us-east-1a", "--insecure", launched, f":{remote}", f"{back}/"]) == 0
    assert (back / "on-leader.txt").read_bytes() == remote.read_bytes()


def test_rsync_cluster_fails_for_a_missing_remote_file(launched: str, at_sshd: Sshd, tmp_path: Path) -> None:
    assert rsync_cluster.main(["-z", "us-east-1a", "--insecure", launched, f":{tmp_path / 'absent'}",
                               str(tmp_path)]) != 0


def test_rsync_needs_a_remote_path(moto_ami: str, capsys: pytest.CaptureFixture) -> None:
    assert rsync_cluster.main(["somecluster", "a.txt", "b.txt"]) == 1
    assert "leading ':'" in capsys.readouterr().err


def test_launch_needs_a_key_pair_on_aws(moto_ami: str, capsys: pytest.CaptureFixture) -> None:
    assert launch_cluster.main(["somecluster", "--leaderNodeType", "t2.micro"]) == 1
    assert "--keyPairName is required" in capsys.readouterr().err


def test_bad_cluster_name(moto_ami: str, capsys: pytest.CaptureFixture) -> None:
    assert destroy_cluster.main(["Bad_Name"]) == 1
    assert "lowercase" in capsys.readouterr().err


def test_unknown_provisioner_named(capsys: pytest.CaptureFixture) -> None:
    assert destroy_cluster.main(["-p", "nosuchcloud", "somecluster"]) == 1
    assert "no 'nosuchcloud' provisioner is installed" in capsys.readouterr().err
