"""``toil launch-cluster`` / ``ssh-cluster`` / ``rsync-cluster`` / ``destroy-cluster`` with the aws
provisioner against moto's EC2 and IAM. No instance boots under moto, so ssh and rsync are
checked up to the command they run (a recording ``ssh`` / ``rsync`` first on PATH, the leader's
address given by TOIL_CLUSTER_LEADER_ADDRESS)."""
from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest

from toil_core.cli import destroy_cluster, launch_cluster, rsync_cluster, ssh_cluster


@pytest.fixture
def moto_ami(moto_server: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    import boto3

    ec2 = boto3.client("ec2", endpoint_url=moto_server.url, region_name="us-east-1")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    monkeypatch.setenv("TOIL_AWS_AMI", image)
    return image


@pytest.fixture
def ec2(moto_server: Any) -> Any:
    import boto3

    return boto3.client("ec2", endpoint_url=moto_server.url, region_name="us-east-1")


def _instances(ec2: Any, name: str) -> List[Dict[str, Any]]:
    found = ec2.describe_instances(Filters=[{"Name": "tag:clusterName", "Values": [name]},
                                            {"Name": "instance-state-name", "Values": ["pending", "running"]}])
    return [i for r in found["Reservations"] for i in r["Instances"]]


@pytest.fixture
def recorder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``ssh`` and ``rsync`` on PATH that write their arguments, one per line, to a file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "calls"
    for tool in ("ssh", "rsync"):
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\nprintf "%s\\n" "{tool}" "$@" > {record}\n')
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("TOIL_CLUSTER_LEADER_ADDRESS", "127.0.0.1")
    return record


def test_launch_ssh_rsync_destroy(moto_ami: str, ec2: Any, recorder: Path, capsys: pytest.CaptureFixture) -> None:
    name = f"cmds-{uuid.uuid4().hex[:8]}"
    assert launch_cluster.main([name, "-z", "us-east-1a", "--leaderNodeType", "t2.medium", "--keyPairName", "k",
                                "-t", "team=genomics", "--nodeTypes", "t2.micro", "-w", "2"]) == 0
    assert f"toil ssh-cluster {name}" in capsys.readouterr().out
    nodes = _instances(ec2, name)
    roles = sorted({t["Key"]: t["Value"] for t in i["Tags"]}["ToilNodeType"] for i in nodes)
    assert roles == ["leader", "worker", "worker"]
    assert all({t["Key"]: t["Value"] for t in i["Tags"]}["team"] == "genomics" for i in nodes)

    assert ssh_cluster.main(["-z", "us-east-1a", "--insecure", name, "ls", "/data"]) == 0
    call = recorder.read_text().splitlines()
    assert call[0] == "ssh" and "StrictHostKeyChecking=no" in call and "core@127.0.0.1" in call
    assert call[-4:] == ["-i", "toil_leader", "ls", "/data"]

    assert rsync_cluster.main(["-z", "us-east-1a", name, "local.txt", ":/root/"]) == 0
    call = recorder.read_text().splitlines()
    assert call[0] == "rsync" and call[-2:] == ["local.txt", "core@127.0.0.1:/root/"]

    assert destroy_cluster.main([name, "-z", "us-east-1a"]) == 0
    assert _instances(ec2, name) == []


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
