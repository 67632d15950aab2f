"""A local container image for WDL tasks on machines that cannot pull images.

The conformance suite's tasks name ``ubuntu:24.04``, ``ubuntu:22.04`` and ``ubuntu:18.04``; a machine
without registry access has none of them. :func:`ensure_image` builds one small image with podman (or
docker) from this machine's own files: a static busybox with every applet (``sh``, ``find``, ``sort``,
``md5sum``, ``realpath``...) and ``bash`` with the shared libraries it loads, and gives it the names
asked for, so that ``podman image exists NAME`` finds it and nothing is pulled. The file
:data:`MARKER` exists only inside the image: a task can tell whether it ran in the container.

``python -m toil_wdl.images [NAME ...]`` builds it by hand (the suite's names by default).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Dict, Iterable, List, Optional

__all__ = ["IMAGE", "MARKER", "MINIWDL_DEFAULT_IMAGE", "SUITE_IMAGES", "ensure_image", "miniwdl_podman_env"]

#: The image :func:`ensure_image` builds.
IMAGE = "localhost/toil-wdl-task:1"
#: A file only the image has (tests check that a task's command ran inside it).
MARKER = "/etc/toil-wdl-image"
#: The images the WDL conformance suite's tasks name, as podman records them.
SUITE_IMAGES = ("docker.io/library/ubuntu:24.04", "docker.io/library/ubuntu:22.04",
                "docker.io/library/ubuntu:18.04")
#: The image miniwdl runs tasks without a docker runtime in (its ``[task_runtime] defaults``).
MINIWDL_DEFAULT_IMAGE = "docker.io/library/ubuntu:20.04"

_PULL_SHIM = """#!/bin/sh
# miniwdl runs `podman pull IMAGE` before a task's first run of an image; no registry is reachable
# here, so pulling an image that is already present does nothing (anything else goes to podman).
if [ "$1" = pull ] && [ $# -eq 2 ] && {podman} image exists "$2"; then exit 0; fi
exec {podman} "$@"
"""


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), capture_output=True, text=True, check=False)


def _copy_into(root: Path, source: Path) -> None:
    target = root / source.relative_to("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(os.path.realpath(source), target)


def _rootfs(root: Path) -> None:
    """Fill ``root``: busybox and its applets, bash and its libraries, /etc/passwd, the marker."""
    for sub in ("bin", "usr/bin", "etc", "root", "var/tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "tmp").mkdir(mode=0o1777)
    (root / "tmp").chmod(0o1777)
    busybox = shutil.which("busybox")
    if busybox is None:
        raise RuntimeError("busybox is needed to build the task image (apt-get install busybox-static)")
    shutil.copy2(busybox, root / "bin" / "busybox")
    for applet in _run(busybox, "--list").stdout.split():
        if applet != "busybox":
            (root / "bin" / applet).symlink_to("busybox")
    bash = shutil.which("bash", path="/usr/bin:/bin")
    if bash:
        (root / "bin" / "bash").unlink(missing_ok=True)
        shutil.copy2(bash, root / "bin" / "bash")
        for line in _run("ldd", bash).stdout.splitlines():
            for part in line.split():
                if part.startswith("/") and Path(part).exists():
                    _copy_into(root, Path(part))
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\n")
    (root / MARKER.lstrip("/")).write_text("toil-wdl task image\n")


def ensure_image(names: Iterable[str] = SUITE_IMAGES, engine: str = "podman", rebuild: bool = False) -> List[str]:
    """Build :data:`IMAGE` unless present and tag it with each of ``names`` not present yet; returns
    ``[IMAGE, *names]``. RuntimeError (with the engine's message) when it cannot be built here."""
    exe = shutil.which(engine)
    if exe is None:
        raise RuntimeError(f"{engine} is not installed")
    if rebuild or _run(exe, "image", "inspect", IMAGE).returncode != 0:
        with tempfile.TemporaryDirectory(prefix="toil-wdl-image-") as tmp:
            root = Path(tmp) / "root"
            _rootfs(root)
            archive = Path(tmp) / "rootfs.tar"
            with tarfile.open(archive, "w") as tar:
                tar.add(root, arcname=".")
            done = _run(exe, "import", "--change", "ENV PATH=/usr/bin:/bin", "--change", "WORKDIR /",
                        str(archive), IMAGE)
            if done.returncode != 0:
                raise RuntimeError(f"{engine} import failed: {done.stderr.strip()}")
    names = list(names)
    for name in names:
        if _run(exe, "image", "inspect", name).returncode != 0:
            tagged = _run(exe, "tag", IMAGE, name)
            if tagged.returncode != 0:
                raise RuntimeError(f"{engine} tag {name} failed: {tagged.stderr.strip()}")
    return [IMAGE, *names]


def miniwdl_podman_env(scratch: str) -> Dict[str, str]:
    """Environment variables that make ``miniwdl run`` use podman (its ``podman`` container backend;
    its default, Docker swarm, needs a Docker daemon in swarm mode) through a shim written in
    ``scratch`` that skips pulls of images already present. Call caching off."""
    podman = shutil.which("podman")
    if podman is None:
        raise RuntimeError("podman is not installed")
    shim = os.path.join(scratch, "podman-no-pull")
    with open(shim, "w", encoding="utf-8") as handle:
        handle.write(_PULL_SHIM.replace("{podman}", podman))
    os.chmod(shim, 0o755)
    return {"MINIWDL__SCHEDULER__CONTAINER_BACKEND": "podman", "MINIWDL__PODMAN__EXE": json.dumps([shim]),
            "MINIWDL__CALL_CACHE__GET": "false", "MINIWDL__CALL_CACHE__PUT": "false"}


def main(argv: Optional[List[str]] = None) -> int:
    names = list(argv if argv is not None else sys.argv[1:]) or list(SUITE_IMAGES)
    try:
        print("\n".join(ensure_image(names)))
    except RuntimeError as err:
        print(f"toil_wdl.images: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
