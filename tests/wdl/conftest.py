"""Fixtures for the toil-wdl tests: run ``toil-wdl-runner`` as a user would, in a subprocess.

Each run gets its own working directory (the test's ``tmp_path``), ``TMPDIR`` inside it, a job
store and an output directory there; ``run_wdl`` returns a :class:`WDLRun` with the parsed output.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, List

import pytest

# The vendored, unmodified WDL conformance suite (tests/wdl/conformance) is data, not tests of this project.
collect_ignore_glob = ["conformance/*"]

pytest.importorskip("WDL", reason="toil-wdl needs miniwdl (pip install ./plugins/toil_wdl)")
pytest.importorskip("toil_wdl", reason="toil-wdl is not installed (pip install ./plugins/toil_wdl)")

DATA = Path(__file__).resolve().parent / "data"


def wdl_env(tmp_path: Path) -> dict:
    """The environment of a run: the interpreter's bin first on PATH (workers), TMPDIR in tmp_path."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    env["TMPDIR"] = str(tmp)
    return env


def runner_command() -> List[str]:
    return [sys.executable, "-m", "toil_wdl"]


class WDLRun:
    def __init__(self, proc: subprocess.CompletedProcess, outdir: Path, jobstore: str) -> None:
        self.proc = proc
        self.outdir = outdir
        self.jobstore = jobstore
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    @property
    def output(self) -> Any:
        assert self.returncode == 0, f"toil-wdl-runner failed ({self.returncode}):\n{self.stderr[-6000:]}"
        return json.loads(self.stdout)


@pytest.fixture
def run_wdl(tmp_path: Path):
    """``run_wdl(*args, check=True, name="run")``: run toil-wdl-runner in ``tmp_path`` with a job
    store and output directory of its own (``name`` tells several runs of one test apart)."""

    def run(*args: Any, check: bool = True, name: str = "run", timeout: int = 300,
            jobstore: str = "") -> WDLRun:
        out = tmp_path / f"{name}-out"
        store = jobstore or f"file:{tmp_path / (name + '-store')}"
        command = runner_command() + ["--jobStore", store, "-o", str(out), "--retryCount", "0"]
        command += [str(a) for a in args]
        proc = subprocess.run(command, cwd=tmp_path, env=wdl_env(tmp_path), capture_output=True, text=True,
                              timeout=timeout)
        result = WDLRun(proc, out, store)
        if check:
            result.output  # noqa: B018 - asserts success, with the log on failure
        return result

    return run
