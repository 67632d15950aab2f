"""The ``aws`` cluster provisioner (upstream ``AWSProvisioner``): a cluster is a leader instance
and autoscaled worker instances in EC2, found again by their tags.

Every resource the provisioner makes carries the cluster's tags (``Name``, ``Owner``,
``clusterName``, ``ToilNodeType`` = ``leader`` / ``worker``, plus ``TOIL_AWS_TAGS`` and the
user's tags) or the cluster's name, so :meth:`AWSProvisioner.destroyCluster` can remove all of
it: instances, spot requests, launch templates, the security group, the IAM role and its
instance profile. Worker nodes start from one launch template per instance type; preemptible
ones are spot instances at the node type's bid.

The zone is ``-z`` / ``zone``, else ``TOIL_AWS_ZONE``, else the region's first zone (region from
``TOIL_AWS_REGION`` or boto's configuration). The image is ``TOIL_AWS_AMI`` or the newest
Flatcar stable image of the region.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import re
import time
from typing import Any, Dict, List, Optional, Set, Tuple

from toil_core.plugin_api import (
    AbstractProvisioner,
    applianceSelf,
    ClusterTypeNotSupportedException,
    ManagedNodesNotSupportedException,
    NoSuchClusterException,
    Node,
    Shape,
    ToilError,
)

from toil_aws import instance_metadata, kubernetes_nodes, session, user_data

__all__ = ["AWSProvisioner", "InvalidClusterName", "check_cluster_name"]

logger = logging.getLogger(__name__)

_RETRY_CODES = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "InternalError", "Unavailable",
                "InvalidInstanceID.NotFound", "InvalidGroup.NotFound", "IncorrectState"}
_LIVE_STATES = ["pending", "running"]
_FLATCAR_OWNER = "075585003325"


class InvalidClusterName(ToilError, ValueError):
    """A cluster name AWS resources cannot be named after."""


def check_cluster_name(name: str) -> str:
    """Cluster names are lowercase letters, digits and dashes (no ``_``: bucket names need it)."""
    if not name or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise InvalidClusterName(
            f"Invalid cluster name {name!r}: use only lowercase letters, digits and '-' (no '_' or "
            "capitals), starting with a letter or digit.")
    return name


def _tag_list(tags: Dict[str, str]) -> List[Dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def _encoded(spec: Dict[str, Any]) -> Dict[str, Any]:
    """``spec`` with its UserData base64-encoded, as launch templates and spot requests take it."""
    return {**spec, "UserData": base64.b64encode(spec["UserData"].encode()).decode()}


class AWSProvisioner(AbstractProvisioner):
    """See the module docstring."""

    def __init__(self, clusterName: Optional[str], clusterType: str = "mesos", zone: Optional[str] = None,
                 nodeStorage: int = 50, nodeStorageOverrides: Optional[List[str]] = None,
                 sseKey: Optional[str] = None) -> None:
        if clusterType not in self.supportedClusterTypes():
            raise ClusterTypeNotSupportedException(type(self), clusterType)
        self.clusterType = clusterType
        self.clusterName = check_cluster_name(clusterName) if clusterName else None
        self._zone = zone or os.environ.get("TOIL_AWS_ZONE") or None
        self.nodeStorage = int(nodeStorage)
        self.nodeStorageOverrides: Dict[str, int] = {}
        for override in nodeStorageOverrides or []:
            name, _, size = override.partition(":")
            self.nodeStorageOverrides[name] = int(size)
        self.sseKey = sseKey
        self._node_types: List[Tuple[Set[str], Optional[float]]] = []
        self._shapes: Dict[str, Tuple[float, int]] = {}
        self.keyName: Optional[str] = None
        self.owner: Optional[str] = None
        self.securityGroupId: Optional[str] = None
        self.vpcSubnet: Optional[str] = None
        self.instanceProfileArn: Optional[str] = None
        self.userTags: Dict[str, str] = {}
        self._join_token: Optional[str] = None

    # ------------------------------------------------------------------ places and clients
    @property
    def region(self) -> str:
        return self._zone[:-1] if self._zone else session.default_region()

    @property
    def zone(self) -> str:
        if self._zone is None:
            zones = self.ec2.describe_availability_zones()["AvailabilityZones"]
            names = sorted(z["ZoneName"] for z in zones if z.get("State", "available") == "available")
            self._zone = names[0] if names else self.region + "a"
        return self._zone

    @property
    def ec2(self) -> Any:
        return session.client("ec2", region=self.region)

    @property
    def iam(self) -> Any:
        return session.client("iam", region=self.region)

    def _name(self) -> str:
        if not self.clusterName:
            self.clusterName = self._cluster_of_this_instance()
        return self.clusterName

    def _cluster_of_this_instance(self) -> str:
        """The ``clusterName`` tag of the instance this process runs on (a leader started with
        ``--provisioner aws`` on its cluster's leader node), as upstream."""
        own_id = instance_metadata.instance_id()
        if own_id is None:
            raise ToilError("This provisioner has no cluster name and this machine is not an EC2 instance: run the "
                            "leader on the cluster's leader node (toil launch-cluster NAME, then toil ssh-cluster "
                            "NAME).")
        reservations = self.ec2.describe_instances(InstanceIds=[own_id])["Reservations"]
        tags = {t["Key"]: t["Value"] for r in reservations for i in r["Instances"] for t in i.get("Tags", [])}
        if "clusterName" not in tags:
            raise ToilError(f"This instance ({own_id}) has no clusterName tag: it was not started by "
                            "toil launch-cluster, so there is no cluster to scale.")
        return check_cluster_name(tags["clusterName"])

    @property
    def _role_name(self) -> str:
        return f"toil-{self._name()}"

    def _tags(self, node_type: str) -> Dict[str, str]:
        tags = dict(self.userTags)
        extra = os.environ.get("TOIL_AWS_TAGS")
        if extra:
            try:
                tags.update({str(k): str(v) for k, v in json.loads(extra).items()})
            except (ValueError, AttributeError) as error:
                raise ToilError(f"TOIL_AWS_TAGS must be a JSON object of tag names to values: {error}") from None
        tags.update({"Name": self._name(), "clusterName": self._name(), "ToilNodeType": node_type})
        if self.owner:
            tags["Owner"] = self.owner
        return tags

    # ------------------------------------------------------------------ interface
    def supportedClusterTypes(self) -> Set[str]:
        return {"mesos", "kubernetes"}

    def createClusterSettings(self) -> None:
        self.zone  # noqa: B018 - settle the zone now

    def readClusterSettings(self) -> None:
        """Settings of the running cluster, from its leader instance."""
        leader = self._instances("leader")
        if not leader:
            raise NoSuchClusterException(self._name())
        instance = leader[0]
        self._zone = instance["Placement"]["AvailabilityZone"]
        self.keyName = instance.get("KeyName")
        groups = instance.get("SecurityGroups") or []
        self.securityGroupId = groups[0]["GroupId"] if groups else None
        self.vpcSubnet = instance.get("SubnetId")
        self.instanceProfileArn = (instance.get("IamInstanceProfile") or {}).get("Arn")
        tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
        self.owner = tags.get("Owner")
        self.userTags = {k: v for k, v in tags.items() if k not in ("Name", "clusterName", "ToilNodeType", "Owner")}

    def setAutoscaledNodeTypes(self, nodeTypes: List[Tuple[Set[str], Optional[float]]]) -> None:
        self._node_types = [(set(types), bid) for types, bid in nodeTypes]

    def hasAutoscaledNodeTypes(self) -> bool:
        return bool(self._node_types)

    def getAutoscaledInstanceShapes(self) -> Dict[Shape, str]:
        return {self.getNodeShape(name, bid is not None): name for types, bid in self._node_types for name in types}

    @staticmethod
    def retryPredicate(e: BaseException) -> bool:
        return session.error_code(e) in _RETRY_CODES

    def getNodeShape(self, instance_type: str, preemptible: bool = False) -> Shape:
        if instance_type not in self._shapes:
            try:
                answer = self.ec2.describe_instance_types(InstanceTypes=[instance_type])["InstanceTypes"]
            except Exception as error:
                raise ToilError(f"Unknown EC2 instance type {instance_type!r}: {error}") from None
            if not answer:
                raise ToilError(f"Unknown EC2 instance type {instance_type!r}.")
            info = answer[0]
            self._shapes[instance_type] = (float(info["VCpuInfo"]["DefaultVCpus"]),
                                           int(info["MemoryInfo"]["SizeInMiB"]) * 1024 * 1024)
        cores, memory = self._shapes[instance_type]
        disk = self.nodeStorageOverrides.get(instance_type, self.nodeStorage) * 1024 ** 3
        return Shape(wallTime=3600, memory=memory, cores=cores, disk=disk, preemptible=preemptible)

    # ------------------------------------------------------------------ launching
    def _image(self) -> str:
        image = os.environ.get("TOIL_AWS_AMI")
        if image:
            return image
        images = self.ec2.describe_images(Owners=[_FLATCAR_OWNER], Filters=[
            {"Name": "name", "Values": ["Flatcar-stable-*"]}, {"Name": "architecture", "Values": ["x86_64"]}])["Images"]
        if not images:
            raise ToilError(f"No Flatcar image found in {self.region}: set TOIL_AWS_AMI to the image to boot.")
        return max(images, key=lambda i: i.get("CreationDate", ""))["ImageId"]

    def _user_data(self, role: str, preemptible: bool = False, instance_type: str = "") -> str:
        """The cloud-config that starts the Toil appliance as leader or worker of this cluster
        (:mod:`toil_aws.user_data`); a worker's names the leader's private address. A kubernetes
        cluster's nodes also get the Kubernetes set-up (:mod:`toil_aws.kubernetes_nodes`)."""
        if self.clusterType == "kubernetes":
            return self._kubernetes_user_data(role, preemptible, instance_type)
        leader_ip = None
        if role == "worker":
            leaders = self._instances("leader")
            leader_ip = leaders[0].get("PrivateIpAddress") if leaders else None
        try:
            command: Optional[user_data.ApplianceCommand] = user_data.appliance_command(
                role, self.clusterType, leader_ip, preemptible)
        except ToilError:
            if role == "worker" and self.clusterType != "mesos":
                command = None  # kubernetes workers run pods, not an appliance container of Toil's
            else:
                raise
        return user_data.cloud_config(self._name(), self.clusterType, role, command)

    def _kubernetes_user_data(self, role: str, preemptible: bool, instance_type: str) -> str:
        image = applianceSelf()
        if role == "leader":
            self._join_token = self._join_token or kubernetes_nodes.new_token()
            values = kubernetes_nodes.values_file("leader", self._name(), image, token=self._join_token)
            command: Optional[user_data.ApplianceCommand] = user_data.appliance_command(
                "leader", "kubernetes", image=image)
        else:
            values = kubernetes_nodes.values_file("worker", self._name(), image, join=self.kubernetes_join_values(),
                                                  instance_type=instance_type, preemptible=preemptible)
            command = None  # a kubernetes worker runs Toil's jobs as pods, not an appliance container
        return user_data.cloud_config(self._name(), self.clusterType, role, command, kubernetes_values=values)

    def kubernetes_join_values(self, wait: Optional[float] = None) -> kubernetes_nodes.JoinValues:
        """What a worker needs to join this kubernetes cluster: the leader's API endpoint, the
        bootstrap token (from the leader's user data) and the CA hash the leader publishes as a
        tag once ``kubeadm init`` is done (waited for up to ``wait`` seconds, default
        ``TOIL_AWS_KUBERNETES_JOIN_WAIT`` or 900)."""
        if wait is None:
            wait = float(os.environ.get(kubernetes_nodes.JOIN_WAIT_ENV, 900))
        deadline = time.monotonic() + wait
        told = False
        while True:
            leaders = self._instances("leader")
            if not leaders:
                raise NoSuchClusterException(self._name())
            leader = leaders[0]
            tags = {t["Key"]: t["Value"] for t in leader.get("Tags", [])}
            ca_hash = tags.get(kubernetes_nodes.CA_HASH_TAG)
            if ca_hash:
                break
            if time.monotonic() >= deadline:
                raise ToilError(
                    f"The leader of {self._name()!r} ({leader['InstanceId']}) has not published its Kubernetes CA "
                    f"hash (tag {kubernetes_nodes.CA_HASH_TAG}) within {wait:.0f} s: its Kubernetes set-up has not "
                    "finished or failed (see 'journalctl -u toil-kubernetes' on the leader); set "
                    f"{kubernetes_nodes.JOIN_WAIT_ENV} to wait longer.")
            if not told:
                logger.info("Waiting for the leader of %s to finish setting up Kubernetes (kubeadm init) before "
                            "starting workers; this takes a few minutes after a launch.", self._name())
                told = True
            time.sleep(min(5.0, max(0.1, deadline - time.monotonic())))
        answer = self.ec2.describe_instance_attribute(InstanceId=leader["InstanceId"], Attribute="userData")
        encoded = (answer.get("UserData") or {}).get("Value") or ""
        token = kubernetes_nodes.token_from_user_data(base64.b64decode(encoded).decode("utf-8", "replace"))
        if token is None:
            raise ToilError(f"The leader of {self._name()!r} ({leader['InstanceId']}) holds no Kubernetes join token "
                            "in its user data: it was not launched as a kubernetes cluster (-T kubernetes).")
        return kubernetes_nodes.JoinValues(f"{leader['PrivateIpAddress']}:{kubernetes_nodes.API_PORT}", token,
                                           ca_hash)

    def _ensure_security_group(self) -> str:
        name = self._name()
        found = self.ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"]
        if found:
            return found[0]["GroupId"]
        kwargs: Dict[str, Any] = {}
        if self.vpcSubnet:
            kwargs["VpcId"] = self.ec2.describe_subnets(SubnetIds=[self.vpcSubnet])["Subnets"][0]["VpcId"]
        group = self.ec2.create_security_group(GroupName=name, Description=f"Toil cluster {name}", **kwargs)
        group_id = group["GroupId"]
        self.ec2.create_tags(Resources=[group_id], Tags=_tag_list({"clusterName": name}))
        self.ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group_id}]}])
        return group_id

    def _ensure_instance_profile(self) -> str:
        name = self._role_name
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"Service": "ec2.amazonaws.com"}}]}
        try:
            self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                                 Tags=_tag_list({"clusterName": self._name()}))
        except Exception as error:
            if session.error_code(error) != "EntityAlreadyExists":
                raise
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["ec2:*", "s3:*", "iam:PassRole", "iam:GetRole"], "Resource": "*"}]}
        self.iam.put_role_policy(RoleName=name, PolicyName="toil-cluster", PolicyDocument=json.dumps(policy))
        try:
            profile = self.iam.create_instance_profile(InstanceProfileName=name)["InstanceProfile"]
            self.iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
        except Exception as error:
            if session.error_code(error) != "EntityAlreadyExists":
                raise
            profile = self.iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
        return profile["Arn"]

    def launchCluster(self, leaderNodeType: str, leaderStorage: int = 50, owner: Optional[str] = None,
                      keyName: Optional[str] = None, userTags: Optional[Dict[str, str]] = None,
                      vpcSubnet: Optional[str] = None, awsEc2ProfileArn: Optional[str] = None,
                      awsEc2ExtraSecurityGroupIds: Optional[List[str]] = None, **_: Any) -> None:
        """Start the leader instance (with its security group and instance profile)."""
        name = self._name()
        if self._instances("leader"):
            raise ToilError(f"Cluster {name!r} already exists: destroy it first (toil destroy-cluster {name}).")
        self.keyName = keyName
        self.owner = owner or os.environ.get("TOIL_OWNER_TAG") or keyName or "toil"
        self.userTags = dict(userTags or {})
        self.vpcSubnet = vpcSubnet
        self.createClusterSettings()
        self.securityGroupId = self._ensure_security_group()
        self.instanceProfileArn = awsEc2ProfileArn or self._ensure_instance_profile()
        self._run("leader", leaderNodeType, 1, leaderStorage, extra_groups=awsEc2ExtraSecurityGroupIds)

    def _spec(self, role: str, instance_type: str, storage_gb: int,
              extra_groups: Optional[List[str]] = None, preemptible: bool = False) -> Dict[str, Any]:
        spec: Dict[str, Any] = {
            "ImageId": self._image(), "InstanceType": instance_type,
            # the text: boto3 base64-encodes RunInstances' UserData itself, not a launch template's
            # or a spot request's (those get :func:`_encoded`)
            "UserData": self._user_data(role, preemptible, instance_type),
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda",
                                     "Ebs": {"VolumeSize": int(storage_gb), "DeleteOnTermination": True}}],
        }
        if self.keyName:
            spec["KeyName"] = self.keyName
        groups = [g for g in [self.securityGroupId, *(extra_groups or [])] if g]
        if self.vpcSubnet:
            spec["NetworkInterfaces"] = [{"DeviceIndex": 0, "SubnetId": self.vpcSubnet, "Groups": groups}]
        elif groups:
            spec["SecurityGroupIds"] = groups
        if self.instanceProfileArn:
            spec["IamInstanceProfile"] = {"Arn": self.instanceProfileArn}
        return spec

    def _run(self, role: str, instance_type: str, count: int, storage_gb: int,
             extra_groups: Optional[List[str]] = None) -> List[str]:
        spec = self._spec(role, instance_type, storage_gb, extra_groups)
        if not self.vpcSubnet:
            spec["Placement"] = {"AvailabilityZone": self.zone}
        spec["TagSpecifications"] = [{"ResourceType": "instance", "Tags": _tag_list(self._tags(role))}]
        answer = self.ec2.run_instances(MinCount=count, MaxCount=count, **spec)
        return [i["InstanceId"] for i in answer["Instances"]]

    def _launch_template(self, instance_type: str) -> str:
        """The launch template of this cluster's workers of one instance type (made once)."""
        name = f"{self._name()}-worker-{instance_type}".replace(".", "-")
        found = self.ec2.describe_launch_templates(Filters=[{"Name": "launch-template-name", "Values": [name]}])
        if found["LaunchTemplates"]:
            return found["LaunchTemplates"][0]["LaunchTemplateId"]
        storage = self.nodeStorageOverrides.get(instance_type, self.nodeStorage)
        data = _encoded(self._spec("worker", instance_type, storage))
        data["TagSpecifications"] = [{"ResourceType": "instance", "Tags": _tag_list(self._tags("worker"))}]
        made = self.ec2.create_launch_template(
            LaunchTemplateName=name, LaunchTemplateData=data,
            TagSpecifications=[{"ResourceType": "launch-template", "Tags": _tag_list({"clusterName": self._name()})}])
        return made["LaunchTemplate"]["LaunchTemplateId"]

    def addNodes(self, nodeTypes: Set[str], numNodes: int, preemptible: bool,
                 spotBid: Optional[float] = None) -> int:
        """Start workers of the first of ``nodeTypes`` that starts (spot ones at ``spotBid``)."""
        if numNodes <= 0:
            return 0
        if self.securityGroupId is None and self._instances("leader"):
            self.readClusterSettings()
        last_error: Optional[BaseException] = None
        for instance_type in sorted(nodeTypes):
            try:
                if preemptible:
                    return self._add_spot(instance_type, numNodes, spotBid)
                template = self._launch_template(instance_type)
                kwargs: Dict[str, Any] = {}
                if not self.vpcSubnet:
                    kwargs["Placement"] = {"AvailabilityZone": self.zone}
                answer = self.ec2.run_instances(MinCount=numNodes, MaxCount=numNodes,
                                                LaunchTemplate={"LaunchTemplateId": template}, **kwargs)
                return len(answer["Instances"])
            except Exception as error:  # capacity of one type gone: try the next interchangeable one
                logger.warning("Could not start %d %s nodes: %s", numNodes, instance_type, error)
                last_error = error
        if last_error is not None and not preemptible:
            raise last_error
        return 0

    def _add_spot(self, instance_type: str, count: int, bid: Optional[float]) -> int:
        spec = _encoded(self._spec("worker", instance_type,
                                   self.nodeStorageOverrides.get(instance_type, self.nodeStorage), preemptible=True))
        if not self.vpcSubnet:
            spec["Placement"] = {"AvailabilityZone": self.zone}
        if "IamInstanceProfile" in spec:
            spec["IamInstanceProfile"] = {"Arn": spec["IamInstanceProfile"]["Arn"]}
        requests = self.ec2.request_spot_instances(
            SpotPrice=str(bid if bid is not None else ""), InstanceCount=count, LaunchSpecification=spec,
            TagSpecifications=[{"ResourceType": "spot-instances-request",
                                "Tags": _tag_list({"clusterName": self._name()})}])["SpotInstanceRequests"]
        ids = [r["SpotInstanceRequestId"] for r in requests]
        deadline = time.monotonic() + float(os.environ.get("TOIL_AWS_SPOT_WAIT", 60))
        answer = requests
        while True:
            if all(r.get("InstanceId") or r["State"] in ("failed", "cancelled", "closed") for r in answer):
                break
            if time.monotonic() >= deadline:
                break
            time.sleep(1)
            answer = self.ec2.describe_spot_instance_requests(SpotInstanceRequestIds=ids)["SpotInstanceRequests"]
        unfilled = [r["SpotInstanceRequestId"] for r in answer if not r.get("InstanceId") and r["State"] == "open"]
        if unfilled:
            # bids not met in time (price too low, no capacity): withdraw them, so none is fulfilled
            # later behind the scaler's back; one fulfilled meanwhile is kept and counted
            logger.warning("%d of %d spot requests for %s at %s were not fulfilled within TOIL_AWS_SPOT_WAIT; "
                           "cancelling them", len(unfilled), len(ids), instance_type, bid)
            self.ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=unfilled)
            answer = self.ec2.describe_spot_instance_requests(SpotInstanceRequestIds=ids)["SpotInstanceRequests"]
        instances = [r["InstanceId"] for r in answer if r.get("InstanceId")]
        if instances:
            self.ec2.create_tags(Resources=instances, Tags=_tag_list(self._tags("worker")))
        return len(instances)

    def addManagedNodes(self, nodeTypes: Set[str], minNodes: int, maxNodes: int, preemptible: bool,
                        spotBid: Optional[float] = None) -> None:
        raise ManagedNodesNotSupportedException("The aws provisioner scales nodes itself (mesos clusters).")

    # ------------------------------------------------------------------ finding and stopping
    def _instances(self, role: Optional[str] = None, states: Optional[List[str]] = None) -> List[Dict[str, Any]]:
        filters = [{"Name": "tag:clusterName", "Values": [self._name()]},
                   {"Name": "instance-state-name", "Values": states or _LIVE_STATES}]
        if role:
            filters.append({"Name": "tag:ToilNodeType", "Values": [role]})
        found: List[Dict[str, Any]] = []
        for page in self.ec2.get_paginator("describe_instances").paginate(Filters=filters):
            for reservation in page["Reservations"]:
                found.extend(reservation["Instances"])
        return found

    @staticmethod
    def _node(instance: Dict[str, Any]) -> Node:
        launched = instance.get("LaunchTime")
        return Node(publicIP=instance.get("PublicIpAddress"), privateIP=instance.get("PrivateIpAddress", ""),
                    name=instance["InstanceId"], launchTime=launched.timestamp() if launched else 0.0,
                    nodeType=instance["InstanceType"], preemptible=instance.get("InstanceLifecycle") == "spot",
                    tags={t["Key"]: t["Value"] for t in instance.get("Tags", [])})

    def getLeader(self) -> Node:
        leaders = self._instances("leader")
        if not leaders:
            raise NoSuchClusterException(self._name())
        return self._node(leaders[0])

    def getProvisionedWorkers(self, instance_type: Optional[str] = None,
                              preemptible: Optional[bool] = None) -> List[Node]:
        nodes = [self._node(i) for i in self._instances("worker")]
        return [n for n in nodes if (instance_type is None or n.nodeType == instance_type)
                and (preemptible is None or n.preemptible == preemptible)]

    def terminateNodes(self, nodes: List[Any]) -> None:
        ids = [n.name for n in nodes]
        if ids:
            self.ec2.terminate_instances(InstanceIds=ids)

    def destroyCluster(self) -> None:
        """Terminate every instance and delete the cluster's spot requests, launch templates,
        security group, IAM role and instance profile."""
        name = self._name()
        instances = self._instances(states=["pending", "running", "stopping", "stopped"])
        if instances:
            ids = [i["InstanceId"] for i in instances]
            self.ec2.terminate_instances(InstanceIds=ids)
            self.ec2.get_waiter("instance_terminated").wait(InstanceIds=ids,
                                                             WaiterConfig={"Delay": 2, "MaxAttempts": 150})
        requests = self.ec2.describe_spot_instance_requests(
            Filters=[{"Name": "tag:clusterName", "Values": [name]}])["SpotInstanceRequests"]
        open_requests = [r["SpotInstanceRequestId"] for r in requests if r["State"] in ("open", "active")]
        if open_requests:
            self.ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=open_requests)
        templates = self.ec2.describe_launch_templates(
            Filters=[{"Name": "tag:clusterName", "Values": [name]}])["LaunchTemplates"]
        for template in templates:
            self.ec2.delete_launch_template(LaunchTemplateId=template["LaunchTemplateId"])
        for group in self.ec2.describe_security_groups(
                Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"]:
            self.ec2.delete_security_group(GroupId=group["GroupId"])
        self._delete_instance_profile()

    def _delete_instance_profile(self) -> None:
        name = self._role_name
        try:
            self.iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=name)
        except Exception as error:
            if session.error_code(error) != "NoSuchEntity":
                raise
        for call, kwargs in ((self.iam.delete_instance_profile, {"InstanceProfileName": name}),
                             (self.iam.delete_role_policy, {"RoleName": name, "PolicyName": "toil-cluster"}),
                             (self.iam.delete_role, {"RoleName": name})):
            try:
                call(**kwargs)
            except Exception as error:
                if session.error_code(error) != "NoSuchEntity":
                    raise
