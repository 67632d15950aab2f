"""ssh-cluster reaches the appliance with the engine the leader's boot script used: podman where it
is installed, else docker; with neither, one clear message and exit 127. Run with a real shell on a
PATH holding recording stand-ins for the engines."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import List

import pytest

from toil_core.cli.cluster_common import FIND_CONTAINER_ENGINE


def fake_engine(folder: Path, name: str) -> None:
    script = folder / name
    script.write_text(f'#!/bin/sh\necho "{name} $*"\n')
    script.chmod(0o755)


def run_probe(tmp_path: Path, engines: List[str]) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for engine in engines:
        fake_engine(bin_dir, engine)
    line = FIND_CONTAINER_ENGINE + '"$ENGINE" exec -i toil_leader uname'
    # Only the stand-ins and the shell's own builtins: no system podman or docker can be found.
    return subprocess.run(["/bin/sh", "-c", line], env={"PATH": str(bin_dir)}, capture_output=True, text=True)


@pytest.mark.parametrize("engines, expected", [(["podman", "docker"], "podman"), (["docker"], "docker")])
def test_the_engine_is_podman_where_installed_else_docker(tmp_path: Path, engines: List[str],
                                                          expected: str) -> None:
    done = run_probe(tmp_path, engines)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{expected} exec -i toil_leader uname"


def test_no_engine_is_one_clear_message(tmp_path: Path) -> None:
    done = run_probe(tmp_path, [])
    assert done.returncode == 127
    assert "no container engine (podman or docker) on the leader" in done.stderr
    assert os.linesep.join(done.stderr.splitlines()).count("\n") == 0
