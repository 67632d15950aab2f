"""Container images for the Docker-requiring CWL conformance tests, built from this machine's files.

The conformance tools name public images (``debian:stretch-slim``, ``python:2-slim``, ``bash:4.4.12``,
``alpine``...), but a machine without registry access cannot pull them. :func:`ensure_images` builds
one small image with podman instead, from local files only: busybox and its applets (``sh``, ``cat``,
``sort``, ``rev``, ``wc``, ``find``, ``tar``...), ``bash`` and ``python3`` (also as ``python``) with
the shared libraries they load and Python's standard library. It gives that image every name the
suite uses (:data:`SUITE_IMAGES`), so ``docker inspect NAME`` finds it locally and nothing is pulled.
Its entrypoint behaves like the official ``bash`` image's (a first argument starting with ``-`` goes
to bash; anything else runs as given), which is what the ``docker_entrypoint`` test relies on.

:func:`docker_shim` covers the other gap: as root, cwltool's ``--podman`` mode cannot run (it always
passes ``--userns=keep-id``, which rootful podman refuses), so tools run in cwltool's Docker mode
through a ``docker`` command that calls podman (podman accepts docker's command line).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Iterable, List, Optional, Set

__all__ = ["IMAGE", "SUITE_IMAGES", "container_engine", "docker_shim", "ensure_images"]

#: the image :func:`ensure_images` builds
IMAGE = "localhost/toil-cwl-conformance:1"
#: the names the conformance tools pull, as podman records them
SUITE_IMAGES = (
    "docker.io/library/debian:stretch-slim",
    "docker.io/library/debian:stable-slim",
    "docker.io/library/python:2-slim",
    "docker.io/library/python:3-slim",
    "docker.io/library/python:3",
    "docker.io/library/alpine:latest",
    "docker.io/library/bash:4.4.12",
    "docker.io/library/bash:4.4",
)
ENTRYPOINT = """#!/bin/sh
# like the official bash image: "IMAGE -c CMD" runs bash -c CMD, "IMAGE PROGRAM ARGS" runs PROGRAM
case "$1" in -*) set -- bash "$@" ;; esac
exec "$@"
"""
_PYTHON_SKIP = {"test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "site-packages",
                "dist-packages", "__pycache__", "config-3.11-x86_64-linux-gnu"}


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), capture_output=True, text=True)


def container_engine() -> Optional[str]:
    """``"docker"`` when a docker daemon answers, ``"podman"`` when podman works, else None."""
    for engine in ("docker", "podman"):
        exe = shutil.which(engine)
        if exe and _run(exe, "info").returncode == 0:
            return engine
    return None


def _libraries(binaries: Iterable[Path]) -> Set[Path]:
    """The shared libraries (and the dynamic loader) ``ldd`` reports for ``binaries``."""
    found: Set[Path] = set()
    for binary in binaries:
        out = _run("ldd", str(binary)).stdout
        for line in out.splitlines():
            parts = line.split()
            for part in parts:
                if part.startswith("/") and Path(part).exists():
                    found.add(Path(part))
    return found


def _copy_into(root: Path, source: Path) -> None:
    target = root / source.relative_to("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(os.path.realpath(source), target)


def _rootfs(root: Path) -> None:
    """Fill ``root`` with busybox, bash, python3 and what they need."""
    for sub in ("bin", "usr/bin", "usr/local/bin", "etc", "root", "var/tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "tmp").mkdir(mode=0o1777)
    (root / "tmp").chmod(0o1777)
    busybox = shutil.which("busybox")
    if busybox is None:
        raise RuntimeError("busybox is needed to build the conformance image (apt-get install busybox-static)")
    shutil.copy2(busybox, root / "bin" / "busybox")
    for applet in _run(busybox, "--list").stdout.split():
        if applet != "busybox" and not (root / "bin" / applet).exists():
            (root / "bin" / applet).symlink_to("busybox")
    binaries: List[Path] = []
    bash = shutil.which("bash", path="/usr/bin:/bin")
    if bash:
        (root / "bin" / "bash").unlink(missing_ok=True)
        shutil.copy2(bash, root / "bin" / "bash")
        binaries.append(Path(bash))
    python = Path("/usr/bin/python3")
    if python.exists():
        real = Path(os.path.realpath(python))
        _copy_into(root, real)
        for name in ("python3", "python"):
            (root / "usr" / "bin" / name).symlink_to(real.name)
        binaries.append(real)
        stdlib = Path(f"/usr/lib/python{sys.version_info.major}.{sys.version_info.minor}")
        version = _run(str(real), "-c", "import sys; print(sys.version_info[0], sys.version_info[1])").stdout.split()
        if version:
            stdlib = Path(f"/usr/lib/python{version[0]}.{version[1]}")
        if stdlib.is_dir():
            shutil.copytree(stdlib, root / stdlib.relative_to("/"), symlinks=True,
                            ignore=lambda _d, names: [n for n in names if n in _PYTHON_SKIP])
            binaries += sorted((stdlib / "lib-dynload").glob("*.so"))
    for library in _libraries(binaries):
        _copy_into(root, library)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\n")
    entrypoint = root / "usr" / "local" / "bin" / "docker-entrypoint.sh"
    entrypoint.write_text(ENTRYPOINT)
    entrypoint.chmod(0o755)


def ensure_images(engine: str = "podman", names: Iterable[str] = SUITE_IMAGES, rebuild: bool = False) -> List[str]:
    """Build :data:`IMAGE` unless present and tag it with ``names``; returns the names now present.

    Raises RuntimeError when the image cannot be built here (with the engine's message)."""
    exe = shutil.which(engine)
    if exe is None:
        raise RuntimeError(f"{engine} is not installed")
    if rebuild or _run(exe, "image", "inspect", IMAGE).returncode != 0:
        with tempfile.TemporaryDirectory(prefix="toil-cwl-image-") as tmp:
            root = Path(tmp) / "root"
            _rootfs(root)
            archive = Path(tmp) / "rootfs.tar"
            with tarfile.open(archive, "w") as tar:
                tar.add(root, arcname=".")
            changes = ['ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
                       "ENV PATH=/usr/local/bin:/usr/bin:/bin", "WORKDIR /"]
            command = [exe, "import"]
            for change in changes:
                command += ["--change", change]
            done = _run(*command, str(archive), IMAGE)
            if done.returncode != 0:
                raise RuntimeError(f"{engine} import failed: {done.stderr.strip()}")
    present = []
    for name in names:
        if _run(exe, "image", "inspect", name).returncode != 0:
            tagged = _run(exe, "tag", IMAGE, name)
            if tagged.returncode != 0:
                raise RuntimeError(f"{engine} tag {name} failed: {tagged.stderr.strip()}")
        present.append(name)
    return present


def docker_shim(directory: Path, podman: Optional[str] = None) -> Path:
    """Write ``directory/docker`` calling podman; put ``directory`` first on PATH to use it."""
    podman = podman or shutil.which("podman")
    if podman is None:
        raise RuntimeError("podman is not installed")
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / "docker"
    shim.write_text(f'#!/bin/sh\nexec "{podman}" "$@"\n')
    shim.chmod(0o755)
    return directory
