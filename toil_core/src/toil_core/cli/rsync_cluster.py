"""Copy files to or from a cluster's leader with rsync (``toil rsync-cluster NAME SRC :DEST``;
a path starting with ``:`` is on the leader)."""
from __future__ import annotations

import argparse
import shlex
import subprocess
from typing import List

from toil_core.cli._common import CommandError, command
from toil_core.cli.cluster_common import (
    cluster_errors,
    leader_address,
    provisioner_for,
    require_provisioner,
    ssh_options,
)
from toil_core.workflow.options import parser_with_common_options, set_logging_from_options

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = parser_with_common_options(provisioner_options=True, jobstore_option=False, prog="toil rsync-cluster")
    parser.description = "Copy files to or from a cluster's leader; remote paths start with ':'."
    parser.add_argument("--insecure", action="store_true", default=False,
                        help="Do not check the leader's host key.")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="rsync arguments: SRC... DEST, ':PATH' on the leader.")
    return parser


@command
@cluster_errors
def main(argv: List[str]) -> int:
    require_provisioner(argv, "rsync-cluster")
    options = build_parser().parse_args(argv)
    set_logging_from_options(options)
    if not any(a.startswith(":") for a in options.args):
        raise CommandError("Name the path on the leader with a leading ':', e.g. toil rsync-cluster "
                           f"{options.clusterName} local.txt :/root/ (or :/root/file.txt .).")
    target = leader_address(provisioner_for(options))
    paths = [target + a if a.startswith(":") else a for a in options.args]
    shell = shlex.join(["ssh", *ssh_options(options.insecure, [])])
    return subprocess.call(["rsync", "-e", shell, *paths])
