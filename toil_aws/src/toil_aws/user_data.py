"""What a cluster's instance runs at boot: the user data (a cloud-config) that starts the Toil
appliance (``TOIL_APPLIANCE_SELF``) as the leader or a worker of the cluster, as upstream does.

The appliance runs in a container named ``toil_leader`` / ``toil_worker`` on the host's network,
with an init process, and the host's ``/var/lib/toil``, ``/var/lib/mesos`` and ``/tmp`` mounted.
For a ``mesos`` cluster the leader's container runs the Mesos master (``--entrypoint=mesos-master
--registry=in_memory --ip=<private IP> --port=5050 --allocation_interval=500ms``) and a worker's the
Mesos agent pointed at the leader (``--entrypoint=mesos-agent --master=<leader>:5050
--attributes=preemptable:True|False``); for a ``kubernetes`` cluster every node first runs the
Kubernetes set-up of :mod:`toil_aws.kubernetes_nodes` (unit ``toil-kubernetes.service``: ``kubeadm
init`` on the leader, ``kubeadm join`` on a worker), and the leader's container then stays up for
``toil ssh-cluster`` (``sleep infinity``) with the cluster's kubeconfig at ``/root/.kube/config``,
so ``toil ... --batchSystem kubernetes`` run in it starts its jobs as pods on the workers. ``TOIL_CUSTOM_INIT_COMMAND`` runs on the host before the
container starts and ``TOIL_CUSTOM_DOCKER_INIT_COMMAND`` inside it (as upstream; no newline or tab).
A systemd unit ``toil-<role>.service`` restarts the container when it stops.

The container engine on the node is podman when installed, else docker (Flatcar, the default image,
ships docker); both take the same ``run`` options.
"""
from __future__ import annotations

import os
import shlex
from typing import List, Optional, Tuple

import attrs

from toil_core.plugin_api import ToilError, applianceSelf

from toil_aws import kubernetes_nodes

__all__ = ["ApplianceCommand", "MESOS_PORT", "appliance_command", "cloud_config", "container_name"]

#: The Mesos master's port on the leader.
MESOS_PORT = 5050
#: Host directories the appliance sees at the same paths.
VOLUMES = ("/var/lib/toil", "/var/lib/mesos", "/tmp")
START_SCRIPT = "/etc/toil/start-appliance"
#: The kubeconfig directory a kubernetes leader's set-up writes and its appliance container sees.
KUBE_DIR = "/root/.kube"
KUBERNETES_UNIT = "toil-kubernetes.service"


def container_name(role: str) -> str:
    return "toil_leader" if role == "leader" else "toil_worker"


@attrs.frozen
class ApplianceCommand:
    """``ENGINE run`` of the appliance: the container's options, image, entry point and arguments."""

    name: str
    image: str
    entrypoint: str
    args: Tuple[str, ...]
    volumes: Tuple[Tuple[str, str], ...] = tuple((v, v) for v in VOLUMES)
    environment: Tuple[Tuple[str, str], ...] = ()

    def argv(self, engine: str = "podman") -> List[str]:
        volumes = [part for host, inside in self.volumes for part in ("-v", f"{host}:{inside}")]
        env = [part for key, value in self.environment for part in ("-e", f"{key}={value}")]
        return [engine, "run", f"--name={self.name}", "--net=host", "--init", *volumes, *env,
                f"--entrypoint={self.entrypoint}", self.image, *self.args]


def _check_init_command(name: str) -> Optional[str]:
    value = os.environ.get(name)
    if value and ("\n" in value or "\t" in value):
        raise ToilError(f"{name} may not contain a newline or a tab: put the commands in a script on the image "
                        "and name the script instead.")
    return value or None


def appliance_command(role: str, cluster_type: str, leader_ip: Optional[str] = None,
                      preemptible: bool = False, image: Optional[str] = None) -> ApplianceCommand:
    """The appliance container of a ``role`` node of a ``cluster_type`` cluster. The leader's own
    address is filled in on the node (``$PRIVATE_IP`` of the start script)."""
    image = image or applianceSelf()
    name = container_name(role)
    if cluster_type == "mesos":
        if role == "leader":
            return ApplianceCommand(name, image, "mesos-master", (
                "--registry=in_memory", "--ip=$PRIVATE_IP", f"--port={MESOS_PORT}", "--allocation_interval=500ms"))
        if not leader_ip:
            raise ToilError("A worker needs the leader's private address: the cluster's leader was not found.")
        return ApplianceCommand(name, image, "mesos-agent", (
            "--work_dir=/var/lib/mesos", f"--master={leader_ip}:{MESOS_PORT}", "--ip=$PRIVATE_IP",
            f"--attributes=preemptable:{preemptible}", "--no-hostname_lookup", "--no-systemd_enable_support"))
    if role == "leader":  # a kubernetes leader: a shell for the user, with the cluster's kubeconfig
        return ApplianceCommand(name, image, "sleep", ("infinity",),
                                volumes=tuple((v, v) for v in VOLUMES) + ((KUBE_DIR, KUBE_DIR),),
                                environment=(("KUBECONFIG", f"{KUBE_DIR}/config"), ("TOIL_APPLIANCE_SELF", image)))
    raise ToilError(f"A {cluster_type} cluster's workers run no appliance container of Toil's.")


def _script(command: ApplianceCommand) -> str:
    """The start script: host init command, then the container in the foreground (systemd restarts it)."""
    lines = ["#!/bin/bash", "set -e",
             "PRIVATE_IP=$(curl -fsS http://169.254.169.254/latest/meta-data/local-ipv4 || hostname -i | cut -d' ' -f1)",
             "ENGINE=$(command -v podman || command -v docker)",
             f"mkdir -p {' '.join(VOLUMES)}"]
    host_init = _check_init_command("TOIL_CUSTOM_INIT_COMMAND")
    if host_init:
        lines.append(f"bash -c {shlex.quote(host_init)}")
    argv = command.argv("$ENGINE")
    inner_init = _check_init_command("TOIL_CUSTOM_DOCKER_INIT_COMMAND")
    if inner_init:  # run inside the container first, then the entry point
        index = argv.index(f"--entrypoint={command.entrypoint}")
        argv = argv[:index] + ["--entrypoint=bash"] + [command.image, "-c",
                                                        f"{inner_init} && exec \"$0\" \"$@\"", command.entrypoint,
                                                        *command.args]
    # quoted for bash; the node's address is filled in by bash (double quotes around those words)
    words = [f'"{w}"' if "$PRIVATE_IP" in w and not set(w) & set('"`\\') else shlex.quote(w) for w in argv[1:]]
    lines.append("exec \"$ENGINE\" " + " ".join(words))
    return "\n".join(lines) + "\n"


def _indent(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line + "\n" for line in text.splitlines())


def _file(path: str, permissions: str, content: str) -> List[str]:
    return [f"- path: {path}", f"  permissions: '{permissions}'", "  content: |", _indent(content, 4).rstrip("\n")]


def cloud_config(cluster_name: str, cluster_type: str, role: str, command: Optional[ApplianceCommand],
                 kubernetes_values: Optional[str] = None) -> str:
    """The instance's user data: the cluster file, the start script and its systemd unit; with
    ``kubernetes_values`` (:func:`toil_aws.kubernetes_nodes.values_file`) also the Kubernetes set-up
    and its unit, which the appliance's unit waits for."""
    parts = ["#cloud-config", "write_files:", "- path: /etc/toil/cluster", "  permissions: '0644'",
             f"  content: '{cluster_name} {cluster_type} {role}'"]
    units: List[str] = []
    if kubernetes_values is not None:
        setup = (f"[Unit]\nDescription=Kubernetes {role} node of Toil cluster {cluster_name}\n"
                 f"After=network-online.target containerd.service\nWants=network-online.target\n"
                 f"[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart={kubernetes_nodes.SETUP_SCRIPT}\n"
                 f"Restart=on-failure\nRestartSec=15\n[Install]\nWantedBy=multi-user.target\n")
        parts += _file(kubernetes_nodes.VALUES_FILE, "0600", kubernetes_values)  # holds the join token
        parts += _file(kubernetes_nodes.SETUP_SCRIPT, "0755", kubernetes_nodes.SETUP_SCRIPT_TEXT)
        parts += _file(f"/etc/systemd/system/{KUBERNETES_UNIT}", "0644", setup)
        units.append(KUBERNETES_UNIT)
    if command is not None:
        after = f" {KUBERNETES_UNIT}\nRequires={KUBERNETES_UNIT}" if kubernetes_values is not None else ""
        unit = (f"[Unit]\nDescription=Toil {role} appliance\nAfter=network-online.target{after}\n"
                f"Wants=network-online.target\n[Service]\nRestart=always\nRestartSec=5\n"
                f"ExecStartPre=-/bin/sh -c '$(command -v podman || command -v docker) rm -f {command.name}'\n"
                f"ExecStart={START_SCRIPT}\n[Install]\nWantedBy=multi-user.target\n")
        parts += _file(START_SCRIPT, "0755", _script(command))
        parts += _file(f"/etc/systemd/system/toil-{role}.service", "0644", unit)
        units.append(f"toil-{role}.service")
    if units:
        parts += ["runcmd:", "- [systemctl, daemon-reload]"]
        # the Kubernetes set-up takes minutes: cloud-init does not wait for it (nor for what needs it)
        wait = "" if kubernetes_values is None else ", --no-block"
        parts += [f"- [systemctl, enable, --now{wait}, {unit}]" for unit in units]
    return "\n".join(parts) + "\n"
