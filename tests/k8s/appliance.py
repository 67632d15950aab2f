"""Build the appliance image the test pods run, without a container engine or a registry.

What ``toil_k8s/Containerfile`` does with an engine (toil-core and toil-k8s installed on a Debian
image with Python 3), done here with the tools at hand: the prepared ``localhost/debian-py:local``
image (Debian 12 minbase + python3 3.11, from the cluster recipe) is the base layer; a second
layer holds this checkout's toil_core and toil_k8s installed with ``pip install --target``
(built from the working tree, so the pods run exactly the code under test), a ``.pth`` file that
puts them on the image's ``sys.path``, and launchers in ``/usr/local/bin`` for the console
scripts (``_toil_worker``, ``_toil_contained_executor``, ``toil``). The result is a two-layer
docker-archive that containerd imports; its tag is a hash of the layer, so a changed checkout
gives a new image name.
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
from typing import Any, Dict, List, Tuple

from k8s_cluster import REPO

SITE = "opt/toil/site"


def _install(stage: Path, log: Path) -> None:
    """``pip install --target`` of this checkout's toil_core and toil_k8s (not editable) with their
    dependencies. The test interpreter is a CPython 3.11 on the same Debian release as the image,
    so the wheels pip picks for it fit the image's python3."""
    target = stage / SITE
    target.mkdir(parents=True)
    with open(log, "a") as handle:
        handle.write(f"\n==== appliance: pip install --target {target} ({time.strftime('%H:%M:%S')})\n")
        handle.flush()
        subprocess.run([sys.executable, "-m", "pip", "install", "--no-input", "--disable-pip-version-check",
                        "--no-compile", "--target", str(target), str(REPO / "toil_core"), str(REPO / "toil_k8s")],
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


def _stage(stage: Path, log: Path) -> None:
    _install(stage, log)
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


def stage_layer(workdir: Path, log: Path) -> Tuple[Path, str]:
    """Install and tar the appliance layer; returns (layer tar, its sha256)."""
    stage = workdir / "rootfs"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    _stage(stage, log)
    layer = workdir / "layer.tar"
    diff = _layer(stage, layer)
    shutil.rmtree(stage)
    return layer, diff


def assemble(base: Path, workdir: Path, staged: Tuple[Path, str],
             repo_tag: str = "localhost/toil-appliance") -> Tuple[Path, str]:
    """The two-layer docker-archive of ``base`` (debian-py.tar) and the staged layer; returns
    (archive, image name)."""
    layer, diff = staged
    tag = f"{repo_tag}:{diff[:16]}"
    config, base_diff, base_member = _read_base(base)
    config = dict(config)
    config["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    config["rootfs"] = {"type": "layers", "diff_ids": [base_diff, "sha256:" + diff]}
    config["history"] = list(config.get("history") or []) + [{"created_by": "tests/k8s/appliance.py"}]
    inner = dict(config.get("config") or {})
    inner["Cmd"] = ["_toil_contained_executor"]
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
