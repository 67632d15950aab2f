"""The Toil appliance on an aws cluster's nodes: the user data the provisioner gives the leader, an
on-demand worker and a spot worker (read back from moto's EC2) starts ``TOIL_APPLIANCE_SELF`` as
upstream does, and the appliance image built from this checkout (tests/support/appliance.py, loaded
into podman once per session) starts with that command line and runs ``toil``.

No instance boots under moto, so the command is run here with podman, with the node's own
entry point (the Mesos master, which the image of this checkout does not hold) swapped for
``toil --version`` and the host directories for temporary ones.
"""
from __future__ import annotations

import base64
import importlib.metadata
import shlex
import subprocess
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import yaml

from toil_aws import user_data

IMAGE = "registry.example.org/toil-appliance:1.2.3"
CATATONIT = "/usr/libexec/podman/catatonit"


@pytest.fixture(scope="module")
def ec2(moto_server: Any) -> Any:
    import boto3

    return boto3.client("ec2", endpoint_url=moto_server.url, region_name="us-east-1")


@pytest.fixture(scope="module")
def booted(ec2: Any) -> Iterator[Dict[str, str]]:
    """A mesos cluster on moto with a leader, an on-demand and a spot worker: role -> user data."""
    from toil_aws.provisioner import AWSProvisioner

    patch = pytest.MonkeyPatch()
    patch.setenv("TOIL_AWS_AMI", ec2.describe_images()["Images"][0]["ImageId"])
    patch.setenv("TOIL_APPLIANCE_SELF", IMAGE)
    cluster = AWSProvisioner(f"appl-{uuid.uuid4().hex[:8]}", "mesos", "us-east-1a", 8, None, None)
    try:
        cluster.launchCluster(leaderNodeType="t2.medium", leaderStorage=8, keyName="k")
        assert cluster.addNodes({"t2.micro"}, 1, preemptible=False) == 1
        assert cluster.addNodes({"t2.micro"}, 1, preemptible=True, spotBid=0.05) == 1
        found: Dict[str, str] = {"leader_ip": cluster.getLeader().privateIP}
        for node in [cluster.getLeader(), *cluster.getProvisionedWorkers()]:
            answer = ec2.describe_instance_attribute(InstanceId=node.name, Attribute="userData")
            role = node.tags["ToilNodeType"] + ("-spot" if node.preemptible else "")
            found[role] = base64.b64decode(answer["UserData"]["Value"]).decode()
        yield found
    finally:
        cluster.destroyCluster()
        patch.undo()


def _start_line(config: str) -> List[str]:
    """The words of the start script's ``exec "$ENGINE" run ...`` line, from the cloud-config."""
    parsed = yaml.safe_load(config)
    [script] = [f["content"] for f in parsed["write_files"] if f["path"] == user_data.START_SCRIPT]
    [line] = [x for x in script.splitlines() if x.startswith("exec ")]
    return shlex.split(line)[1:]


def test_leader_user_data_starts_the_mesos_master_appliance(booted: Dict[str, str]) -> None:
    words = _start_line(booted["leader"])
    assert words[:5] == ["$ENGINE", "run", "--name=toil_leader", "--net=host", "--init"]
    assert words[words.index("--entrypoint=mesos-master") + 1] == IMAGE
    assert words[-4:] == ["--registry=in_memory", "--ip=$PRIVATE_IP", "--port=5050", "--allocation_interval=500ms"]
    assert {"/var/lib/toil:/var/lib/toil", "/var/lib/mesos:/var/lib/mesos", "/tmp:/tmp"} <= set(words)
    units = {f["path"]: f["content"] for f in yaml.safe_load(booted["leader"])["write_files"]}
    assert f"ExecStart={user_data.START_SCRIPT}" in units["/etc/systemd/system/toil-leader.service"]
    assert yaml.safe_load(booted["leader"])["runcmd"][-1] == ["systemctl", "enable", "--now",
                                                              "toil-leader.service"]


def test_worker_user_data_joins_the_leader(booted: Dict[str, str]) -> None:
    for role, preemptible in (("worker", "False"), ("worker-spot", "True")):
        words = _start_line(booted[role])
        assert words[2] == "--name=toil_worker"
        assert words[words.index("--entrypoint=mesos-agent") + 1] == IMAGE
        assert f"--master={booted['leader_ip']}:5050" in words
        assert f"--attributes=preemptable:{preemptible}" in words, role


def test_custom_init_commands_run_before_the_appliance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOIL_CUSTOM_INIT_COMMAND", "echo host-ready > /tmp/ready")
    monkeypatch.setenv("TOIL_CUSTOM_DOCKER_INIT_COMMAND", "echo in-container")
    command = user_data.appliance_command("leader", "mesos", image=IMAGE)
    config = user_data.cloud_config("c", "mesos", "leader", command)
    script = [f["content"] for f in yaml.safe_load(config)["write_files"] if f["path"] == user_data.START_SCRIPT][0]
    assert "bash -c 'echo host-ready > /tmp/ready'" in script
    words = _start_line(config)
    assert words[words.index("--entrypoint=bash"):][:4] == ["--entrypoint=bash", IMAGE, "-c",
                                                           'echo in-container && exec "$0" "$@"']
    assert words[-5] == "mesos-master"


def test_init_command_with_a_newline_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from toil_core.plugin_api import ToilError

    monkeypatch.setenv("TOIL_CUSTOM_INIT_COMMAND", "echo a\necho b")
    with pytest.raises(ToilError, match="newline or a tab"):
        user_data.cloud_config("c", "mesos", "leader", user_data.appliance_command("leader", "mesos", image=IMAGE))


@pytest.fixture(scope="session")
def appliance_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The appliance of toil_core, toil_aws and toil_mesos from this checkout, in podman (built once
    per session and removed after it; the Debian base once per machine, shared with the kubernetes
    tests)."""
    from appliance import AWS_NODE, podman_appliance
    from podman_setup import apt_install, ensure_podman

    work = tmp_path_factory.mktemp("aws-appliance")
    try:
        podman = ensure_podman()
        if not Path(CATATONIT).exists():  # what podman's --init runs (the nodes' command line has --init)
            error = apt_install("catatonit")
            if error:
                raise RuntimeError(f"could not install catatonit for podman --init: {error}")
        tag = podman_appliance(podman, work, work / "build.log", AWS_NODE)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        log = work / "build.log"
        pytest.fail(f"building the appliance failed: {error}\n{log.read_text()[-3000:] if log.exists() else ''}")
    try:
        yield tag
    finally:
        subprocess.run([podman, "rmi", "-f", tag], capture_output=True)


def test_the_appliance_starts_toil_with_the_leader_command_line(booted: Dict[str, str], appliance_image: str,
                                                                 tmp_path: Path) -> None:
    words = _start_line(booted["leader"])
    entry = words.index("--entrypoint=mesos-master")
    assert words[entry + 1] == IMAGE
    name = f"toil-appliance-test-{uuid.uuid4().hex[:8]}"
    options = []
    for word in words[2:entry]:  # the node's options, host directories swapped for temporary ones
        if word.startswith("--name="):
            word = f"--name={name}"
        elif ":" in word and word.startswith("/"):
            host, _, inside = word.partition(":")
            local = tmp_path / host.strip("/").replace("/", "-")
            local.mkdir()
            word = f"{local}:{inside}"
        options.append(word)
    argv = ["podman", "run", "--rm", *options, "--entrypoint=toil", appliance_image, "--version"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{shlex.join(argv)}\n{proc.stderr[-3000:]}"
    assert proc.stdout.strip() == importlib.metadata.version("toil-core")  # this checkout's toil


def test_the_appliance_holds_the_aws_provisioner_and_mesos_batch_system(appliance_image: str) -> None:
    proc = subprocess.run(["podman", "run", "--rm", "--net=none", appliance_image, "toil", "plugins", "list"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "aws" in proc.stdout and "mesos" in proc.stdout
