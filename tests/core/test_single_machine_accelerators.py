"""single_machine treats accelerators as a resource (issue 14, part 1).

The local GPUs are found with ``nvidia-smi``; these tests put a fake ``nvidia-smi`` on PATH that
lists two GPUs, run a real workflow whose jobs ask for accelerators, and check what each job was
given. One test runs on a real NVIDIA GPU when the machine has one.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Dict

import pytest

from workflows.harness import describe, run, workflow_env

SCRIPT = "accelerators_wf.py"


def fake_gpu_env(tmp_path: Path, gpus: int) -> Dict[str, str]:
    """A workflow environment whose PATH starts with a fake nvidia-smi listing ``gpus`` GPUs."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir(exist_ok=True)
    listing = "".join(f"echo 'GPU {i}: Fake GPU (UUID: GPU-fake-{i})'\n" for i in range(gpus))
    script = bin_dir / "nvidia-smi"
    script.write_text(f"#!/bin/sh\nif [ \"$1\" = \"-L\" ]; then\n{listing}fi\nexit 0\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    env = workflow_env(tmp_path)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env.pop("CUDA_VISIBLE_DEVICES", None)
    return env


def no_gpu_env(tmp_path: Path) -> Dict[str, str]:
    """A workflow environment without nvidia-smi or rocm-smi on PATH (only Python's own folder)."""
    env = workflow_env(tmp_path)
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep)
                                  if p and not any(os.path.exists(os.path.join(p, tool))
                                                   for tool in ("nvidia-smi", "rocm-smi")))
    return env


def devices_by_job(out: Path) -> Dict[str, str]:
    found = re.findall(r"^job (\d+) CUDA_VISIBLE_DEVICES=(.*)$", (out / "devices.log").read_text(), re.M)
    return dict(found)


def test_each_job_gets_its_own_device_and_none_is_shared(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    proc = run(SCRIPT, tmp_path / "js", "--out", out, "--jobs", "4", "--request", "cuda:1",
               tmp_path=tmp_path, env=fake_gpu_env(tmp_path, 2), timeout=180)
    assert proc.returncode == 0, describe(proc)
    given = devices_by_job(out)
    assert sorted(given) == ["0", "1", "2", "3"], given
    assert set(given.values()) <= {"0", "1"}, given  # one device each, out of the two there are
    assert not (out / "violations.log").exists(), (out / "violations.log").read_text()


def test_a_job_asking_for_two_gets_both(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    proc = run(SCRIPT, tmp_path / "js", "--out", out, "--jobs", "2", "--request", "gpu:2", "--hold", "0.2",
               tmp_path=tmp_path, env=fake_gpu_env(tmp_path, 2), timeout=180)
    assert proc.returncode == 0, describe(proc)
    assert set(devices_by_job(out).values()) == {"0,1"}
    assert not (out / "violations.log").exists(), (out / "violations.log").read_text()


def test_jobs_without_accelerators_are_not_restricted(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    proc = run(SCRIPT, tmp_path / "js", "--out", out, "--jobs", "1", "--request", "none", "--hold", "0",
               tmp_path=tmp_path, env=fake_gpu_env(tmp_path, 2), timeout=180)
    assert proc.returncode == 0, describe(proc)
    assert devices_by_job(out) == {"0": "None"}


def test_default_accelerators_are_handed_out_too(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    proc = run(SCRIPT, tmp_path / "js", "--out", out, "--jobs", "1", "--request", "none", "--hold", "0",
               "--defaultAccelerators", "cuda:1", tmp_path=tmp_path, env=fake_gpu_env(tmp_path, 1), timeout=180)
    assert proc.returncode == 0, describe(proc)
    assert devices_by_job(out) == {"0": "0"}


def test_more_accelerators_than_the_machine_has_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    proc = run(SCRIPT, tmp_path / "js", "--out", out, "--jobs", "1", "--request", "cuda:3",
               tmp_path=tmp_path, env=fake_gpu_env(tmp_path, 2), timeout=180)
    assert proc.returncode == 1, describe(proc)
    assert re.search(r"InsufficientSystemResources: The job 'use_devices' .* is requesting \[\{'count': 3, "
                     r"'kind': 'gpu', 'brand': 'nvidia', 'api': 'cuda'\}\] accelerators, more than the maximum "
                     r"of \[.*\] accelerators that single_machine was configured with", proc.stderr), describe(proc)
    assert "This machine has 2 accelerators" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (out / "devices.log").exists()


def test_accelerators_on_a_machine_without_any_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    proc = run(SCRIPT, tmp_path / "js", "--out", out, "--jobs", "1", "--request", "cuda:1",
               tmp_path=tmp_path, env=no_gpu_env(tmp_path), timeout=180)
    assert proc.returncode == 1, describe(proc)
    assert "accelerators, more than the maximum of [] accelerators that single_machine" in proc.stderr
    assert "This machine has no accelerators that nvidia-smi or rocm-smi can see" in proc.stderr
    assert not (out / "devices.log").exists()


def _real_nvidia_gpu() -> bool:
    if shutil.which("nvidia-smi") is None:
        return False
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "GPU 0:" in listing


@pytest.mark.skipif(not _real_nvidia_gpu(), reason="no NVIDIA GPU (working nvidia-smi) on this machine")
def test_on_a_real_gpu(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    env = workflow_env(tmp_path)
    env.pop("CUDA_VISIBLE_DEVICES", None)
    proc = run(SCRIPT, tmp_path / "js", "--out", out, "--jobs", "2", "--request", "cuda:1", tmp_path=tmp_path,
               env=env, timeout=300)
    assert proc.returncode == 0, describe(proc)
    assert all(value.isdigit() for value in devices_by_job(out).values())
    assert not (out / "violations.log").exists()
