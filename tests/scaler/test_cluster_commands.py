"""The cluster commands dispatch to the ``-p`` provisioner (here an in-memory one registered as
an installed plugin): launch with static workers, ssh and rsync to the leader (a recording
``ssh`` / ``rsync`` first on PATH), destroy, and the errors users see. The same commands run
against moto's EC2 with the aws provisioner in tests/aws/test_aws_cluster_commands.py."""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterator

import memory_provisioner
import pytest

from toil_core.cli import destroy_cluster, launch_cluster, rsync_cluster, ssh_cluster
from toil_core.cli.cluster_common import FIND_CONTAINER_ENGINE
from toil_core.testing.fake_dist import FakeDistributions

HOOK = '''
from toil_core.plugin_api import ProvisionerSpec


def toil_provisioners():
    return [ProvisionerSpec(name="memory", load="memory_provisioner:MemoryProvisioner")]
'''


@pytest.fixture
def memory_plugin(tmp_path: Path) -> Iterator[None]:
    with FakeDistributions(tmp_path / "dists") as dists:
        dists.add("toil-test-memory-provisioner", "1.0", {"toil.provisioners": {"memory": "memory_hook"}},
                  modules={"memory_hook.py": HOOK})
        yield
    memory_provisioner.CLUSTERS.clear()


@pytest.fixture
def recorder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "calls"
    for tool in ("ssh", "rsync"):
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\nprintf "%s\\n" "{tool}" "$@" > {record}\n')
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return record


def test_launch_with_static_workers(memory_plugin: None) -> None:
    assert launch_cluster.main(["-p", "memory", "c1", "--leaderNodeType", "big", "--nodeTypes", "small,tiny:0.1",
                                "-w", "2,1"]) == 0
    nodes = memory_provisioner.CLUSTERS["c1"]
    assert [(n.tags["ToilNodeType"], n.nodeType, n.preemptible) for n in nodes] == [
        ("leader", "big", False), ("worker", "small", False), ("worker", "small", False), ("worker", "tiny", True)]


def test_worker_counts_must_match_node_types(memory_plugin: None, capsys: pytest.CaptureFixture) -> None:
    assert launch_cluster.main(["-p", "memory", "c1", "--leaderNodeType", "big", "--nodeTypes", "small",
                                "-w", "2,1"]) == 1
    assert "--workers lists 2 counts for 1 --nodeTypes" in capsys.readouterr().err


def test_managed_range_refused_when_the_provisioner_cannot(memory_plugin: None,
                                                          capsys: pytest.CaptureFixture) -> None:
    assert launch_cluster.main(["-p", "memory", "c1", "--leaderNodeType", "big", "--nodeTypes", "small",
                                "-w", "1-4"]) == 1
    assert "no managed pools" in capsys.readouterr().err


def test_ssh_runs_in_the_leader_appliance(memory_plugin: None, recorder: Path) -> None:
    launch_cluster.main(["-p", "memory", "c2", "--leaderNodeType", "big"])
    leader = memory_provisioner.CLUSTERS["c2"][0]
    assert ssh_cluster.main(["-p", "memory", "--sshOption=-L8080:localhost:8080", "c2", "toil", "status"]) == 0
    call = recorder.read_text().splitlines()
    assert call[0] == "ssh" and "-L8080:localhost:8080" in call and f"core@{leader.publicIP}" in call
    assert call[-1] == FIND_CONTAINER_ENGINE + '"$ENGINE" exec -i toil_leader toil status'


def test_rsync_rewrites_remote_paths(memory_plugin: None, recorder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    launch_cluster.main(["-p", "memory", "c3", "--leaderNodeType", "big"])
    monkeypatch.setenv("TOIL_CLUSTER_LEADER_ADDRESS", "leader.example")
    assert rsync_cluster.main(["-p", "memory", "--insecure", "c3", ":/root/out.txt", "."]) == 0
    call = recorder.read_text().splitlines()
    assert call[0] == "rsync" and call[-2:] == ["core@leader.example:/root/out.txt", "."]
    assert "StrictHostKeyChecking=no" in call[call.index("-e") + 1]


def test_destroy_removes_the_cluster(memory_plugin: None, capsys: pytest.CaptureFixture) -> None:
    launch_cluster.main(["-p", "memory", "c4", "--leaderNodeType", "big"])
    assert destroy_cluster.main(["-p", "memory", "c4"]) == 0
    assert "c4" not in memory_provisioner.CLUSTERS
    assert destroy_cluster.main(["-p", "memory", "c4"]) == 1
    assert "Cluster 'c4' was not found" in capsys.readouterr().err


def test_missing_provisioner_plugin_named(capsys: pytest.CaptureFixture) -> None:
    assert ssh_cluster.main(["-p", "nosuchcloud", "c5"]) == 1
    assert "no 'nosuchcloud' provisioner is installed" in capsys.readouterr().err
