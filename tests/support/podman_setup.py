"""Podman as the tests' container engine on a fresh machine (shared by tests/cwl and the Docker helper tests).

On this kind of machine (see shared/recipes/podman_up.sh): no registry access, so images come from
``podman import`` of a local root file system; crun refuses the VM's hybrid cgroups, so runc; default
rlimits are refused, so they are lowered. When the tests run as root on a Debian-like system, podman,
runc and a static busybox are installed with apt-get.
"""
from __future__ import annotations

import io
import os
import resource
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

CONTAINERS_CONF = Path("/etc/containers/containers.conf")
#: The commands the busybox image offers (enough for the Docker helper tests and the manual's tutorial).
BUSYBOX_COMMANDS = ("sh", "echo", "cat", "ls", "id", "env", "sleep", "true", "false", "pwd", "touch", "wc")


def works(*command: str, timeout: int = 120) -> bool:
    """Whether ``command`` runs and exits 0."""
    try:
        return subprocess.run(list(command), capture_output=True, timeout=timeout).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def apt_install(*packages: str) -> str:
    """Install ``packages`` with apt-get; '' on success, else the error's tail."""
    lock = ["-o", "DPkg::Lock::Timeout=600"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", *lock, "install", "-y", "-qq", "--no-install-recommends", *packages]
    proc = subprocess.run(install, capture_output=True, text=True, env=env, timeout=1200, check=False)
    if proc.returncode != 0:  # stale package lists: refresh once and retry
        subprocess.run(["apt-get", *lock, "update", "-qq"], capture_output=True, env=env, timeout=1200,
                       check=False)
        proc = subprocess.run(install, capture_output=True, text=True, env=env, timeout=1200, check=False)
    return "" if proc.returncode == 0 else proc.stderr[-2000:]


def configure_podman() -> None:
    """runc and cgroupfs (crun refuses this VM's hybrid cgroups) and rlimits podman may set."""
    if CONTAINERS_CONF.exists():
        return
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nofile = 65536 if hard == resource.RLIM_INFINITY or hard > 65536 else hard
    CONTAINERS_CONF.parent.mkdir(parents=True, exist_ok=True)
    CONTAINERS_CONF.write_text(
        "[containers]\n"
        f'default_ulimits = ["nofile={nofile}:{nofile}", "nproc=4096:4096"]\n'
        "[engine]\n"
        'runtime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n')


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def ensure_podman() -> str:
    """The path of a working podman (installed and configured when run as root); RuntimeError saying
    why when none can run here."""
    missing = [p for p, exe in (("podman", "podman"), ("runc", "runc"), ("busybox-static", "busybox"))
               if shutil.which(exe) is None]
    if missing:
        if not is_root() or shutil.which("apt-get") is None:
            raise RuntimeError(f"{', '.join(missing)} not installed (apt-get install podman runc busybox-static)")
        error = apt_install(*missing)
        if error:
            raise RuntimeError(f"could not install {' '.join(missing)} with apt-get: {error}")
    if is_root():
        configure_podman()
    podman = shutil.which("podman")
    assert podman is not None
    if not works(podman, "info"):
        info = subprocess.run([podman, "info"], capture_output=True, text=True)
        raise RuntimeError(f"podman does not work here: {info.stderr.strip()[-1500:]}")
    return podman


def ensure_busybox_image(podman: str, *tags: str) -> str:
    """A tiny image built from the host's static busybox, under every tag in ``tags`` (first one returned)."""
    if all(works(podman, "image", "exists", tag) for tag in tags):
        return tags[0]
    busybox = shutil.which("busybox")
    if busybox is None:
        raise RuntimeError("busybox is not installed (apt-get install busybox-static)")
    with tempfile.TemporaryDirectory() as scratch:
        tarball = Path(scratch) / "rootfs.tar"
        with tarfile.open(tarball, "w") as tar:
            def directory(name: str) -> None:
                info = tarfile.TarInfo(name)
                info.type, info.mode = tarfile.DIRTYPE, 0o1777 if name == "tmp" else 0o755
                tar.addfile(info)
            for name in ("bin", "tmp", "etc", "data", "root"):
                directory(name)
            tar.add(busybox, "bin/busybox")
            for command in BUSYBOX_COMMANDS:
                link = tarfile.TarInfo(f"bin/{command}")
                link.type, link.linkname = tarfile.SYMTYPE, "busybox"
                tar.addfile(link)
            passwd = b"root:x:0:0:root:/root:/bin/sh\n"
            info = tarfile.TarInfo("etc/passwd")
            info.size = len(passwd)

            tar.addfile(info, io.BytesIO(passwd))
        subprocess.run([podman, "import", str(tarball), tags[0]], check=True, capture_output=True)
    for tag in tags[1:]:
        subprocess.run([podman, "tag", tags[0], tag], check=True, capture_output=True)
    return tags[0]
