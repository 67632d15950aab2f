"""A real OpenSSH server on loopback for the cluster commands' tests (``toil ssh-cluster`` and
``toil rsync-cluster`` reach a cluster's leader with ssh and rsync).

No instance boots under moto, so the tests stand this machine in for the leader: ``sshd`` on a
free loopback port with its own host key, and an ``ssh-agent`` holding the one key the server
accepts (upstream's manual asks users to ``ssh-add`` the cluster's key the same way). The
commands are pointed at it through the settings a real user has for a leader reached another way
(a bastion, a tunnel): ``TOIL_CLUSTER_LEADER_ADDRESS``, ``TOIL_CLUSTER_SSH_PORT`` and
``TOIL_CLUSTER_SSH_USER`` (:meth:`Sshd.leader_env`).

openssh-server and rsync are installed with apt-get when missing (CI runs as root on a fresh
Debian machine); while apt runs, a ``policy-rc.d`` that exits 101 keeps the package from starting
the system's own sshd on port 22 (one already there is left alone).
"""
from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, Iterator, Optional

import pytest

from moto_service import free_port
from podman_setup import apt_install, is_root

__all__ = ["Sshd", "sshd_leader"]

SSHD = "/usr/sbin/sshd"
POLICY_RC = Path("/usr/sbin/policy-rc.d")


def _install(missing: Dict[str, str]) -> None:
    """apt-get install the packages of ``missing`` (program -> package) without starting services."""
    if not is_root() or shutil.which("apt-get") is None:
        raise RuntimeError(f"{', '.join(missing)} not installed and not root with apt-get here "
                           f"(apt-get install {' '.join(sorted(set(missing.values())))})")
    made_policy = not POLICY_RC.exists()
    if made_policy:
        POLICY_RC.write_text("#!/bin/sh\n# written by the toil tests while apt installs openssh-server\nexit 101\n")
        POLICY_RC.chmod(0o755)
    try:
        error = apt_install(*sorted(set(missing.values())))
    finally:
        if made_policy:
            POLICY_RC.unlink()
    if error:
        raise RuntimeError(f"could not install {' '.join(sorted(set(missing.values())))} with apt-get: {error}")


def ensure_tools() -> None:
    """sshd, ssh, ssh-keygen, ssh-agent and rsync, installed when missing."""
    wanted = {SSHD: "openssh-server", "ssh": "openssh-client", "ssh-keygen": "openssh-client",
              "ssh-agent": "openssh-client", "ssh-add": "openssh-client", "rsync": "rsync"}
    missing = {p: pkg for p, pkg in wanted.items() if not (os.path.exists(p) if p.startswith("/") else shutil.which(p))}
    if missing:
        _install(missing)


class Sshd:
    """``sshd -D`` on 127.0.0.1:``port`` accepting only ``client_key``, which ``agent_socket``'s
    ssh-agent holds."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.user = getpass.getuser()
        self.client_key = home / "client_key"
        self.agent_socket = home / "agent.sock"
        self.log = home / "sshd.log"
        self._sshd: Optional[subprocess.Popen] = None
        self._agent: Optional[subprocess.Popen] = None

    def leader_env(self) -> Dict[str, str]:
        """The environment that sends the cluster commands' ssh and rsync to this server."""
        return {"TOIL_CLUSTER_LEADER_ADDRESS": "127.0.0.1", "TOIL_CLUSTER_SSH_PORT": str(self.port),
                "TOIL_CLUSTER_SSH_USER": self.user, "SSH_AUTH_SOCK": str(self.agent_socket)}

    def start(self, deadline: float = 30.0) -> "Sshd":
        keygen = shutil.which("ssh-keygen") or "ssh-keygen"
        host_key = self.home / "host_key"
        for key in (host_key, self.client_key):
            subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True,
                           capture_output=True)
        authorized = self.home / "authorized_keys"
        authorized.write_text(self.client_key.with_suffix(".pub").read_text())
        authorized.chmod(0o600)
        config = self.home / "sshd_config"
        config.write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {host_key}",
            f"AuthorizedKeysFile {authorized}", f"PidFile {self.home / 'sshd.pid'}",
            f"AllowUsers {self.user}", "PermitRootLogin prohibit-password", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no", "PrintMotd no",
            "Subsystem sftp internal-sftp", ""]))
        if is_root():
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
        with open(self.log, "wb") as log:
            self._sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True)
            self._agent = subprocess.Popen([shutil.which("ssh-agent") or "ssh-agent", "-D", "-a",
                                            str(self.agent_socket)], stdout=subprocess.DEVNULL, stderr=log,
                                           start_new_session=True)
        end = time.monotonic() + deadline
        while not (self._listening() and self.agent_socket.exists()):
            if self._sshd.poll() is not None or time.monotonic() > end:
                self.stop()
                raise RuntimeError(f"sshd did not start on port {self.port}: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)
        subprocess.run([shutil.which("ssh-add") or "ssh-add", "-q", str(self.client_key)], check=True,
                       capture_output=True, env=dict(os.environ, SSH_AUTH_SOCK=str(self.agent_socket)))
        return self

    def _listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        for proc in (self._sshd, self._agent):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@pytest.fixture(scope="session")
def sshd_leader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """A real sshd on loopback standing in for a cluster's leader, and an agent with its key."""
    try:
        ensure_tools()
    except RuntimeError as error:
        pytest.fail(f"no OpenSSH server for the cluster command tests: {error}")
    server = Sshd(tmp_path_factory.mktemp("sshd")).start()
    try:
        yield server
    finally:
        server.stop()
