"""Fixtures of the cluster scaler tests: the Mesos protocol double (tests/mesos) started with no
agents, the ``mesos_double`` provisioner (double_provisioner.py) registered through a fake
distribution that workflow subprocesses find on PYTHONPATH, and a cluster launched with the ``aws``
provisioner on the session's moto server (tests/support/moto_service.py) for autoscaling on aws."""
from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from typing import Any, Iterator, Tuple

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "mesos"))

from ec2_agents import NODE_STORAGE_GIB  # noqa: E402
from mesos_support import MesosCluster  # noqa: E402

PLUGIN_HOOK = '''
from toil_core.plugin_api import ProvisionerSpec


def toil_provisioners():
    return [ProvisionerSpec(name="mesos_double", load="double_provisioner:DoubleProvisioner",
                            summary="Agents of the Mesos double as cluster nodes (tests only).")]
'''


@pytest.fixture
def ec2(moto_server: Any) -> Any:
    import boto3

    return boto3.client("ec2", endpoint_url=moto_server.url, region_name="us-east-1")


@pytest.fixture(scope="session")
def moto_image(moto_server: Any) -> str:
    """An image moto offers (listing them is slow: once per session)."""
    import boto3

    return boto3.client("ec2", endpoint_url=moto_server.url,
                        region_name="us-east-1").describe_images()["Images"][0]["ImageId"]


@pytest.fixture
def aws_cluster(ec2: Any, moto_image: str) -> Iterator[Tuple[Any, str]]:
    """A cluster launched on moto (leader instance, security group, instance profile) and its AMI."""
    from toil_aws.provisioner import AWSProvisioner

    image = moto_image
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


@pytest.fixture
def empty_mesos_double(tmp_path: Path) -> Iterator[MesosCluster]:
    """A Mesos double with no agent: the provisioner adds them."""
    cluster = MesosCluster(tmp_path / "mesos", [])
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def provisioner_path(tmp_path: Path) -> str:
    """PYTHONPATH entries that make the ``mesos_double`` provisioner an installed plugin."""
    from toil_core.testing.fake_dist import make_fake_distribution

    site = make_fake_distribution(tmp_path, "toil-test-double-provisioner", "1.0",
                                  {"toil.provisioners": {"mesos_double": "double_provisioner_plugin"}},
                                  requires=["toil-core>=1.0,<2"],
                                  modules={"double_provisioner_plugin.py": PLUGIN_HOOK})
    return f"{site}:{HERE}"
