"""Open a shell (or run a command) in the appliance on a cluster's leader
(``toil ssh-cluster NAME [COMMAND...]``)."""
from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from typing import List

from toil_core.cli._common import command
from toil_core.cli.cluster_common import (
    cluster_errors,
    FIND_CONTAINER_ENGINE,
    LEADER_CONTAINER,
    leader_address,
    provisioner_for,
    require_provisioner,
    ssh_options,
)
from toil_core.workflow.options import parser_with_common_options, set_logging_from_options

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = parser_with_common_options(provisioner_options=True, jobstore_option=False, prog="toil ssh-cluster")
    parser.description = "Log into the Toil appliance on a cluster's leader, or run a command there."
    parser.add_argument("--insecure", action="store_true", default=False,
                        help="Do not check the leader's host key.")
    parser.add_argument("--sshOption", dest="sshOptions", action="append", default=[],
                        help="An extra ssh option (repeatable), e.g. -L8080:localhost:8080.")
    parser.add_argument("--grafana_port", dest="grafana_port", type=int, default=3000,
                        help="Local port forwarded to the leader's Grafana dashboard.")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="The command to run (default: a shell).")
    return parser


@command
@cluster_errors
def main(argv: List[str]) -> int:
    require_provisioner(argv, "ssh-cluster")
    options = build_parser().parse_args(argv)
    set_logging_from_options(options)
    target = leader_address(provisioner_for(options))
    remote = options.args or ["bash"]
    tty = ["-t"] if sys.stdin.isatty() else []
    # ssh hands the leader one command line for its shell: quote each word so the command runs
    # with exactly these arguments (``sh -c 'exit 7'`` stays three words); the engine is the one
    # the boot script used (podman, else docker).
    in_appliance = FIND_CONTAINER_ENGINE + '"$ENGINE" ' + shlex.join(
        ["exec", *(["-it"] if tty else ["-i"]), LEADER_CONTAINER, *remote])
    ssh = ["ssh", *ssh_options(options.insecure, options.sshOptions),
           f"-L{options.grafana_port}:localhost:3000", *tty, target, in_appliance]
    return subprocess.call(ssh)
