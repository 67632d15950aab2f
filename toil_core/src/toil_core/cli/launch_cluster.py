"""Launch a new cluster: its leader, and any static worker nodes (``toil launch-cluster``).

``toil launch-cluster NAME --leaderNodeType TYPE --keyPairName KEY [-p aws] [-z ZONE]
[-T mesos|kubernetes] [--nodeTypes T1,T2:BID -w 2,1-4]``: worker counts are static nodes
(never autoscaled away); a range ``MIN-MAX`` asks the provisioner for a self-scaling pool.
"""
from __future__ import annotations

import argparse
import logging
import os
from typing import Dict, List, Optional

from toil_core.cli._common import CommandError, command
from toil_core.cli.cluster_common import cluster_errors, provisioner_for, require_provisioner
from toil_core.provisioners.node_types import parse_node_types
from toil_core.workflow.options import parser_with_common_options, set_logging_from_options

__all__ = ["main"]

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = parser_with_common_options(provisioner_options=True, jobstore_option=False,
                                        prog="toil launch-cluster")
    parser.description = "Launch a new cluster: its leader and any static worker nodes."
    parser.add_argument("-T", "--clusterType", dest="clusterType", default="mesos",
                        choices=["mesos", "kubernetes"], help="The kind of cluster to make.")
    parser.add_argument("--leaderNodeType", dest="leaderNodeType", required=True,
                        help="Instance type of the leader, e.g. t2.medium.")
    parser.add_argument("--keyPairName", dest="keyPairName",
                        help="The key pair to log into the nodes with (required on AWS).")
    parser.add_argument("--owner", dest="owner", help="The Owner tag (default: TOIL_OWNER_TAG, else the key pair).")
    parser.add_argument("--boto", dest="botoPath", help="Path of a boto credentials file.")
    parser.add_argument("-t", "--tag", metavar="KEY=VALUE", dest="tags", action="append", default=[],
                        help="A tag for the cluster's resources (repeatable); Name and Owner are set anyway.")
    parser.add_argument("--vpcSubnet", dest="vpcSubnet", help="The VPC subnet to launch the nodes in.")
    parser.add_argument("--nodeTypes", dest="nodeTypes", default=None,
                        help="Comma-separated static worker node types, TYPE or TYPE:BID (spot).")
    parser.add_argument("-w", "--workers", dest="workers", default=None,
                        help="Comma-separated worker counts, one per --nodeTypes entry: N or MIN-MAX.")
    parser.add_argument("--leaderStorage", dest="leaderStorage", type=int, default=50,
                        help="Root volume size of the leader, in GiB.")
    parser.add_argument("--nodeStorage", dest="nodeStorage", type=int, default=50,
                        help="Root volume size of worker nodes, in GiB.")
    parser.add_argument("--nodeStorageOverrides", dest="nodeStorageOverrides", default=None,
                        help="Comma-separated TYPE:GB pairs overriding --nodeStorage.")
    parser.add_argument("--forceDockerAppliance", dest="forceDockerAppliance", action="store_true", default=False,
                        help="Use the appliance image even if it cannot be checked.")
    parser.add_argument("--awsEc2ProfileArn", dest="awsEc2ProfileArn", default=None,
                        help="An existing instance profile for the nodes, instead of one made for the cluster.")
    parser.add_argument("--awsEc2ExtraSecurityGroupId", dest="awsEc2ExtraSecurityGroupIds", action="append",
                        default=[], help="Another security group for the nodes (repeatable).")
    return parser


def _tags(pairs: List[str]) -> Dict[str, str]:
    tags = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CommandError(f"Tag {pair!r} must be written KEY=VALUE.")
        tags[key] = value
    return tags


def _workers(node_types: Optional[str], workers: Optional[str]) -> List[tuple]:
    """``[(instance types, bid, min, max)]`` of the static workers."""
    if not node_types and not workers:
        return []
    if not node_types or not workers:
        raise CommandError("--nodeTypes and --workers (-w) go together: one count per node type.")
    types = parse_node_types(node_types)
    counts = workers.split(",")
    if len(counts) != len(types):
        raise CommandError(f"--workers lists {len(counts)} counts for {len(types)} --nodeTypes.")
    result = []
    for (names, bid), count in zip(types, counts):
        low, sep, high = count.partition("-")
        try:
            bounds = (int(low), int(high)) if sep else (int(count), int(count))
        except ValueError:
            raise CommandError(f"Worker count {count!r} must be a number N or a range MIN-MAX.") from None
        result.append((set(names), bid, bounds[0], bounds[1], bool(sep)))
    return result


@command
@cluster_errors
def main(argv: List[str]) -> int:
    require_provisioner(argv, "launch-cluster")
    options = build_parser().parse_args(argv)
    set_logging_from_options(options)
    if options.provisioner == "aws" and not options.keyPairName:
        raise CommandError("--keyPairName is required to launch a cluster on AWS (the key pair to log in with).")
    workers = _workers(options.nodeTypes, options.workers)
    overrides = options.nodeStorageOverrides.split(",") if options.nodeStorageOverrides else []
    cluster = provisioner_for(options, clusterType=options.clusterType, nodeStorage=options.nodeStorage,
                              nodeStorageOverrides=overrides)
    owner = options.owner or os.environ.get("TOIL_OWNER_TAG") or options.keyPairName
    logger.info("Creating cluster %s...", options.clusterName)
    cluster.launchCluster(leaderNodeType=options.leaderNodeType, leaderStorage=options.leaderStorage,
                          owner=owner, keyName=options.keyPairName, botoPath=options.botoPath,
                          userTags=_tags(options.tags), vpcSubnet=options.vpcSubnet,
                          awsEc2ProfileArn=options.awsEc2ProfileArn,
                          awsEc2ExtraSecurityGroupIds=options.awsEc2ExtraSecurityGroupIds)
    for names, bid, low, high, managed in workers:
        if managed:
            cluster.addManagedNodes(names, low, high, preemptible=bid is not None, spotBid=bid)
        elif high:
            cluster.addNodes(names, high, preemptible=bid is not None, spotBid=bid)
    print(f"Cluster {options.clusterName} launched; log in with: toil ssh-cluster "
          f"{'-p ' + options.provisioner + ' ' if options.provisioner != 'aws' else ''}{options.clusterName}")
    return 0
