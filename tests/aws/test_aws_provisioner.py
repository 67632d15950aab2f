"""The ``aws`` provisioner against moto's EC2 and IAM (the server the aws tests start): the
provisioner contract, then a cluster launched, grown (on-demand and spot), shrunk and destroyed,
every resource checked through the EC2 and IAM APIs. No instance boots here (moto only records
them); a live run needs real credentials (ProvisionerContract.live)."""
from __future__ import annotations

import uuid
from typing import Any, Dict, List

import pytest

from toil_core.testing import ProvisionerContract

NODE_TYPE = "t2.micro"


@pytest.fixture
def moto_ami(moto_server: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    import boto3

    ec2 = boto3.client("ec2", endpoint_url=moto_server.url, region_name="us-east-1")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    monkeypatch.setenv("TOIL_AWS_AMI", image)
    return image


class TestAWSProvisionerContract(ProvisionerContract):
    provisioner_name = "aws"
    node_type = NODE_TYPE

    @pytest.fixture
    def provisioner(self, provisioner_class: type, cluster_name: str, zone: Any, moto_server: Any) -> Any:
        return provisioner_class(cluster_name, "mesos", zone, 50, None, None)


@pytest.fixture
def ec2(moto_server: Any) -> Any:
    import boto3

    return boto3.client("ec2", endpoint_url=moto_server.url, region_name="us-east-1")


@pytest.fixture
def iam(moto_server: Any) -> Any:
    import boto3

    return boto3.client("iam", endpoint_url=moto_server.url, region_name="us-east-1")


@pytest.fixture
def cluster(moto_ami: str) -> Any:
    from toil_aws.provisioner import AWSProvisioner

    return AWSProvisioner(f"scaler-{uuid.uuid4().hex[:8]}", "mesos", "us-east-1a", 20, [f"{NODE_TYPE}:30"], None)


def _live(ec2: Any, name: str) -> List[Dict[str, Any]]:
    found = ec2.describe_instances(Filters=[{"Name": "tag:clusterName", "Values": [name]},
                                            {"Name": "instance-state-name", "Values": ["pending", "running"]}])
    return [i for r in found["Reservations"] for i in r["Instances"]]


def _tags(instance: Dict[str, Any]) -> Dict[str, str]:
    return {t["Key"]: t["Value"] for t in instance.get("Tags", [])}


def test_bad_cluster_names_refused() -> None:
    from toil_aws.provisioner import AWSProvisioner, InvalidClusterName

    for name in ("My-Cluster", "my_cluster", "-x"):
        with pytest.raises(InvalidClusterName, match="lowercase"):
            AWSProvisioner(name, "mesos", None, 50, None, None)


def test_launch_grow_shrink_destroy(cluster: Any, ec2: Any, iam: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOIL_AWS_TAGS", '{"project": "scaler-test"}')
    name = cluster.clusterName
    cluster.launchCluster(leaderNodeType="t2.medium", leaderStorage=40, keyName="my-key",
                          userTags={"team": "genomics"})
    [leader] = _live(ec2, name)
    tags = _tags(leader)
    assert tags["Name"] == name and tags["ToilNodeType"] == "leader" and tags["Owner"] == "my-key"
    assert tags["project"] == "scaler-test" and tags["team"] == "genomics"
    assert leader["InstanceType"] == "t2.medium" and leader["Placement"]["AvailabilityZone"] == "us-east-1a"
    assert iam.get_instance_profile(InstanceProfileName=f"toil-{name}")["InstanceProfile"]["Roles"]
    assert cluster.getLeader().name == leader["InstanceId"]

    # a second provisioner (the leader's) reads the settings back and grows the cluster
    from toil_aws.provisioner import AWSProvisioner

    scaler_side = AWSProvisioner(name, "mesos", None, 20, [f"{NODE_TYPE}:30"], None)
    scaler_side.readClusterSettings()
    assert scaler_side.keyName == "my-key" and scaler_side.securityGroupId == cluster.securityGroupId
    assert scaler_side.addNodes({NODE_TYPE}, 2, preemptible=False) == 2
    assert scaler_side.addNodes({NODE_TYPE}, 1, preemptible=True, spotBid=0.05) == 1
    workers = scaler_side.getProvisionedWorkers()
    assert len(workers) == 3 and sum(w.preemptible for w in workers) == 1
    assert all(w.tags["ToilNodeType"] == "worker" and w.tags["Owner"] == "my-key" for w in workers)
    assert len(scaler_side.getProvisionedWorkers(preemptible=False)) == 2
    templates = ec2.describe_launch_templates(Filters=[{"Name": "tag:clusterName", "Values": [name]}])
    assert len(templates["LaunchTemplates"]) == 1
    assert scaler_side.getNodeShape(NODE_TYPE).disk == 30 * 1024 ** 3  # --nodeStorageOverrides

    # shrink
    scaler_side.terminateNodes(workers[:2])
    assert len(scaler_side.getProvisionedWorkers()) == 1

    # the fulfilled spot request stays (active, with the cluster's tag) until the cluster goes
    def spot_requests() -> List[str]:
        found = ec2.describe_spot_instance_requests(Filters=[{"Name": "tag:clusterName", "Values": [name]}])
        return [r["State"] for r in found["SpotInstanceRequests"] if r["State"] in ("open", "active")]

    assert spot_requests() == ["active"]

    # destroy: nothing of the cluster is left
    cluster.destroyCluster()
    assert _live(ec2, name) == []
    assert spot_requests() == []
    assert ec2.describe_launch_templates(Filters=[{"Name": "tag:clusterName", "Values": [name]}])["LaunchTemplates"] == []
    assert ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"] == []
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName=f"toil-{name}")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_instance_profile(InstanceProfileName=f"toil-{name}")


def test_missing_cluster_reported(cluster: Any) -> None:
    from toil_core.provisioners import NoSuchClusterException

    with pytest.raises(NoSuchClusterException, match="was not found"):
        cluster.getLeader()
