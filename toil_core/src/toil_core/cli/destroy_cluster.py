"""Terminate a cluster and delete every resource made for it (``toil destroy-cluster NAME``)."""
from __future__ import annotations

import argparse
import logging
from typing import List

from toil_core.cli._common import command
from toil_core.cli.cluster_common import cluster_errors, provisioner_for, require_provisioner
from toil_core.workflow.options import parser_with_common_options, set_logging_from_options

__all__ = ["main"]

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = parser_with_common_options(provisioner_options=True, jobstore_option=False,
                                        prog="toil destroy-cluster")
    parser.description = "Terminate a cluster's nodes and delete the resources made for it."
    return parser


@command
@cluster_errors
def main(argv: List[str]) -> int:
    require_provisioner(argv, "destroy-cluster")
    options = build_parser().parse_args(argv)
    set_logging_from_options(options)
    logger.info("Destroying cluster %s", options.clusterName)
    provisioner_for(options).destroyCluster()
    print(f"Cluster {options.clusterName} destroyed.")
    return 0
