"""What the cluster commands share: the provisioner of a named cluster, and how to reach its
leader over ssh (the ``core`` user of the leader's public address; ``TOIL_CLUSTER_LEADER_ADDRESS``
overrides the address, ``TOIL_CLUSTER_SSH_USER`` the user, ``TOIL_CLUSTER_SSH_PORT`` the port)."""
from __future__ import annotations

import argparse
import functools
import os
from typing import Any, List

from toil_core.cli._common import CommandError
from toil_core.lib.errors import ToilError
from toil_core.plugins.registry import installed_names
from toil_core.provisioners import cluster_factory

__all__ = ["leader_address", "provisioner_for", "ssh_options"]

#: The container the appliance runs in on the leader (as upstream names it).
LEADER_CONTAINER = "toil_leader"

#: A shell prefix, run on the leader, that finds the engine the node's boot script started the
#: appliance with: podman where installed, else docker (Flatcar, the default image, has docker).
FIND_CONTAINER_ENGINE = ('ENGINE=$(command -v podman || command -v docker) || '
                         '{ echo "toil: no container engine (podman or docker) on the leader" >&2; exit 127; }; ')


def provisioner_for(options: Any, **kwargs: Any) -> Any:
    """The provisioner (``-p``) of the cluster ``options.clusterName`` in zone ``-z``."""
    try:
        return cluster_factory(options.provisioner, clusterName=options.clusterName, zone=options.zone, **kwargs)
    except ValueError as error:
        raise CommandError(str(error)) from None


def leader_address(cluster: Any) -> str:
    """``user@address`` of the cluster's leader. The leader is looked up even when
    ``TOIL_CLUSTER_LEADER_ADDRESS`` names the address to use (a tunnel, a bastion's forward), so a
    cluster that does not exist is reported as such rather than reached at that address."""
    leader = cluster.getLeader()
    address = os.environ.get("TOIL_CLUSTER_LEADER_ADDRESS") or leader.publicIP
    if not address:
        raise CommandError("The leader has no public address yet (is it still starting?); set "
                           "TOIL_CLUSTER_LEADER_ADDRESS to reach it another way.")
    user = os.environ.get("TOIL_CLUSTER_SSH_USER", "core")
    return f"{user}@{address}"


def ssh_options(insecure: bool, extra: List[str]) -> List[str]:
    """The ssh options: host key checks off with ``--insecure``, then the user's ``--sshOption``s."""
    options: List[str] = []
    port = os.environ.get("TOIL_CLUSTER_SSH_PORT")
    if port:
        options += ["-p", port]
    if insecure:
        options += ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
    for option in extra:
        options += option.split()
    return options


def require_provisioner(argv: List[str], command_name: str) -> None:
    """Fail with a hint when the provisioner ``-p`` (default aws) is not installed, before the
    command's own arguments are checked (they mean nothing without one)."""
    if "-h" in argv or "--help" in argv:
        return
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("-p", "--provisioner", default="aws")
    known, _ = pre.parse_known_args(argv)
    installed = installed_names("provisioner")
    if known.provisioner not in installed:
        raise CommandError(
            f"toil {command_name} needs a provisioner plugin: no '{known.provisioner}' provisioner is installed "
            f"(installed: {', '.join(installed) or 'none'}). Install toil-aws for -p aws "
            "(pip install 'toil-core[aws]') or toil-google for -p gce.")


def cluster_errors(func: Any) -> Any:
    """Report Toil's own errors from the provisioner (no such cluster, ...) as one line."""
    @functools.wraps(func)
    def wrapper(argv: List[str]) -> Any:
        try:
            return func(argv)
        except CommandError:
            raise
        except ToilError as error:
            if type(error).__module__.startswith("toil_core.plugins"):
                raise
            raise CommandError(str(error)) from None

    return wrapper
