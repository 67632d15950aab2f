"""Build the Toil appliance image from this checkout, without a container engine or a registry.

What ``toil_k8s/Containerfile`` does with an engine (Toil's distributions installed on a Debian
image with Python 3), done here with the tools at hand: the ``localhost/debian-py:local`` image
(Debian 12 minbase + python3 3.11, from the k8s cluster recipe, :func:`debian_base`) is the base
layer; a second layer holds this checkout's distributions (toil_core and toil_k8s for the pods of
the kubernetes tests, toil_core, toil_aws and toil_mesos for the nodes of an aws cluster) installed
with ``pip install --target`` (built from the working tree, so the containers run exactly the code
under test), a ``.pth`` file that puts them on the image's ``sys.path``, and launchers in
``/usr/local/bin`` for the console scripts (``toil``, ``_toil_worker``, ...). The result is a
two-layer docker-archive that containerd imports or ``podman load`` reads; its tag is a hash of the
layer, so a changed checkout gives a new image name.
"""
from __future__ import annotations

import configparser
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

REPO = Path(__file__).resolve().parents[2]
SITE = "opt/toil/site"
#: What the kubernetes pods need; an aws cluster's nodes get :data:`AWS_NODE`.
K8S_POD = ("toil_core", "toil_k8s")
AWS_NODE = ("toil_core", "toil_aws", "toil_mesos")


def _install(stage: Path, log: Path, distributions: Sequence[str]) -> None:
    """``pip install --target`` of this checkout's ``distributions`` (not editable) with their
    dependencies. The test interpreter is a CPython 3.11 on the same Debian release as the image,
    so the wheels pip picks for it fit the image's python3."""
    target = stage / SITE
    target.mkdir(parents=True)
    with open(log, "a") as handle:
        handle.write(f"\n==== appliance: pip install --target {target} ({time.strftime('%H:%M:%S')})\n")
        handle.flush()
        subprocess.run([sys.executable, "-m", "pip", "install", "--no-input", "--disable-pip-version-check",
                        "--no-compile", "--target", str(target), *(str(REPO / d) for d in distributions)],
                       stdout=handle, stderr=subprocess.STDOUT, check=True, timeout=900)


def _console_scripts(site: Path) -> Dict[str, str]:
    """name -> "module:function" of every console script the installed distributions declare."""
    scripts: Dict[str, str] = {}
    for entry_points in site.glob("*.dist-info/entry_points.txt"):
        parser = configparser.ConfigParser(delimiters=("=",))
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(entry_points)
        if parser.has_section("console_scripts"):
            for name, target in parser.items("console_scripts"):
                scripts[name.strip()] = target.strip()
    return scripts


def _stage(stage: Path, log: Path, distributions: Sequence[str]) -> None:
    _install(stage, log, distributions)
    site = stage / SITE
    pth = stage / "usr/lib/python3/dist-packages/toil-appliance.pth"
    pth.parent.mkdir(parents=True)
    pth.write_text("/" + SITE + "\n")
    bin_dir = stage / "usr/local/bin"
    bin_dir.mkdir(parents=True)
    for name, target in _console_scripts(site).items():
        module, _, func = target.partition(":")
        path = bin_dir / name
        path.write_text("#!/usr/bin/python3\nimport sys\n"
                        f"from {module} import {func.split('.')[0]}\n"
                        f"sys.exit({func}())\n")
        path.chmod(0o755)
    for junk in site.glob("bin"):
        shutil.rmtree(junk)  # launchers pip wrote for the test interpreter: not usable in the image


def _layer(stage: Path, out: Path) -> str:
    """Tar the staging directory as a layer (owned by root); returns its sha256 digest."""
    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tar:
        for root, dirs, files in os.walk(stage):
            dirs.sort()
            for name in sorted(dirs) + sorted(files):
                path = Path(root) / name
                info = tar.gettarinfo(str(path), str(path.relative_to(stage)))
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                info.mtime = 0  # reproducible: the same tree gives the same layer and tag
                if info.isfile():
                    with open(path, "rb") as handle:
                        tar.addfile(info, handle)
                else:
                    tar.addfile(info)
    digest = hashlib.sha256()
    with open(out, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_base(base: Path) -> Tuple[Dict[str, Any], str, str]:
    """The config, the diff id and the member name of the single layer of a docker-archive."""
    with tarfile.open(base) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        config = json.load(tar.extractfile(manifest[0]["Config"]))  # type: ignore[arg-type]
        layers: List[str] = manifest[0]["Layers"]
    if len(layers) != 1:
        raise RuntimeError(f"{base}: expected a single-layer base image, found {len(layers)} layers")
    return config, config["rootfs"]["diff_ids"][0], layers[0]


def stage_layer(workdir: Path, log: Path, distributions: Sequence[str] = K8S_POD) -> Tuple[Path, str]:
    """Install and tar the appliance layer; returns (layer tar, its sha256)."""
    stage = workdir / "rootfs"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    _stage(stage, log, distributions)
    layer = workdir / "layer.tar"
    diff = _layer(stage, layer)
    shutil.rmtree(stage)
    return layer, diff


def assemble(base: Path, workdir: Path, staged: Tuple[Path, str], repo_tag: str = "localhost/toil-appliance",
             cmd: Sequence[str] = ("_toil_contained_executor",)) -> Tuple[Path, str]:
    """The two-layer docker-archive of ``base`` (debian-py.tar) and the staged layer; returns
    (archive, image name)."""
    layer, diff = staged
    tag = f"{repo_tag}:{diff[:16]}"
    config, base_diff, base_member = _read_base(base)
    config = dict(config)
    config["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    config["rootfs"] = {"type": "layers", "diff_ids": [base_diff, "sha256:" + diff]}
    config["history"] = list(config.get("history") or []) + [{"created_by": "tests/support/appliance.py"}]
    inner = dict(config.get("config") or {})
    inner["Cmd"] = list(cmd)
    config["config"] = inner
    raw = json.dumps(config, sort_keys=True).encode()
    config_id = hashlib.sha256(raw).hexdigest()
    out = workdir / "toil-appliance.tar"
    with tarfile.open(base) as src, tarfile.open(out, "w") as tar:
        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))

        add(config_id + ".json", raw)
        member = src.getmember(base_member)
        info = tarfile.TarInfo("base/layer.tar")
        info.size = member.size
        tar.addfile(info, src.extractfile(member))
        tar.add(str(layer), "appliance/layer.tar")
        repo, _, version = tag.rpartition(":")
        add("manifest.json", json.dumps([{"Config": config_id + ".json", "RepoTags": [tag],
                                           "Layers": ["base/layer.tar", "appliance/layer.tar"]}]).encode())
        add("repositories", json.dumps({repo: {version: config_id}}).encode())
    layer.unlink()
    return out, tag


# ---------------------------------------------------------------------------- the Debian base
def base_cache() -> Path:
    """Where the k8s cluster recipe keeps its images (the same place as tests/k8s's ``cache_home``),
    so the Debian base is built once per machine for every test folder that needs it."""
    return Path(os.environ.get("TOIL_TEST_K8S_HOME") or Path.home() / ".cache" / "toil-test" / "k8s")


def _apt_source(suite: str) -> str:
    """The mirror apt already uses for ``suite`` (as the recipe's prepare.sh finds it)."""
    out = subprocess.run(["apt-get", "indextargets", "--format", "$(REPO_URI) $(RELEASE)"], capture_output=True,
                         text=True, check=True).stdout
    for line in out.splitlines():
        uri, _, release = line.partition(" ")
        if release.strip() == suite:
            return uri
    raise RuntimeError(f"no apt source for {suite}: cannot debootstrap the appliance's Debian base")


def debian_base(log: Path) -> Path:
    """``images/debian-py.tar`` of :func:`base_cache` (Debian minbase of this release with python3,
    one layer), built as the k8s recipe's ``prepare.sh DEBIAN_IMAGE=1`` builds it when it is not there
    (debootstrap installed with apt-get; about a minute). Serialized by a lock file across sessions."""
    import fcntl

    images = base_cache() / "images"
    tarball = images / "debian-py.tar"
    images.mkdir(parents=True, exist_ok=True)
    with open(images / ".debian-py.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if tarball.exists() and tarball.stat().st_size > 0:
            return tarball
        from podman_setup import apt_install

        if shutil.which("debootstrap", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None:
            error = apt_install("debootstrap")
            if error:
                raise RuntimeError(f"could not install debootstrap: {error}")
        suite = subprocess.run(["sh", "-c", ". /etc/os-release && echo $VERSION_CODENAME"], capture_output=True,
                               text=True, check=True).stdout.strip()
        rootfs = images.parent / "build" / "debian-rootfs"
        shutil.rmtree(rootfs, ignore_errors=True)
        rootfs.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", PATH=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
        try:
            with open(log, "a") as handle:
                handle.write(f"\n==== debian base: debootstrap {suite} ({time.strftime('%H:%M:%S')})\n")
                handle.flush()
                subprocess.run(["nice", "debootstrap", "--variant=minbase", "--include=python3", suite, str(rootfs),
                                _apt_source(suite)], stdout=handle, stderr=subprocess.STDOUT, env=env, check=True,
                               timeout=1200)
            for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
                for path in (rootfs / junk).glob("*"):
                    if path.is_file():
                        path.unlink()
            partial = tarball.with_suffix(".partial")
            subprocess.run([sys.executable, str(REPO / "tests" / "k8s" / "cluster" / "rootfs2image.py"), str(rootfs),
                            str(partial), "localhost/debian-py:local", "--cmd", '["python3"]'], check=True,
                           capture_output=True, timeout=600)
            partial.rename(tarball)  # complete or absent: a killed build leaves no half image
        finally:
            _remove_rootfs(rootfs)
        return tarball


def _remove_rootfs(rootfs: Path) -> None:
    """Unmount what an interrupted debootstrap left mounted inside ``rootfs``, then delete it."""
    with open("/proc/mounts") as mounts:
        inside = sorted((line.split()[1] for line in mounts if line.split()[1].startswith(str(rootfs))),
                        reverse=True)
    for mount in inside:
        subprocess.run(["umount", "-l", mount], capture_output=True)
    shutil.rmtree(rootfs, ignore_errors=True)


def podman_appliance(podman: str, workdir: Path, log: Path, distributions: Sequence[str] = AWS_NODE) -> str:
    """Build the appliance of ``distributions`` on the Debian base and ``podman load`` it; returns
    its name (``localhost/toil-appliance:<layer hash>``; loaded once per content)."""
    base = debian_base(log)
    staged = stage_layer(workdir, log, distributions)
    tarball, tag = assemble(base, workdir, staged, cmd=("toil", "--help"))
    try:
        exists = subprocess.run([podman, "image", "exists", tag], capture_output=True).returncode == 0
        if not exists:
            proc = subprocess.run([podman, "load", "-i", str(tarball)], capture_output=True, text=True, timeout=900)
            if proc.returncode != 0:
                raise RuntimeError(f"podman load of the appliance failed: {proc.stderr[-2000:]}")
    finally:
        tarball.unlink()
    return tag
