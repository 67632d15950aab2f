"""Fixtures for the toil-cwl tests: run ``toil-cwl-runner`` as a user would, in a subprocess.

Every run gets its own working directory (the test's ``tmp_path``), ``TMPDIR`` inside it and an
``--outdir``; ``run_cwl`` returns the completed process with the parsed JSON output object.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, List, Optional

import pytest

from toil_cwl_test_helpers import DATA, cwl_env, runner_command

pytest.importorskip("cwltool", reason="toil-cwl needs cwltool (pip install ./toil_cwl)")
pytest.importorskip("toil_cwl", reason="toil-cwl is not installed (pip install ./toil_cwl)")


@pytest.fixture(scope="session")
def container_engine():
    """A working container runtime (docker, or podman installed and set up here); skips if none."""
    from container_runtime import bring_up

    try:
        return bring_up()
    except RuntimeError as err:
        pytest.skip(f"no usable container runtime: {err}")


class CWLRun:
    def __init__(self, proc: subprocess.CompletedProcess, outdir: Path) -> None:
        self.proc = proc
        self.outdir = outdir
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    @property
    def output(self) -> Any:
        assert self.returncode == 0, f"toil-cwl-runner failed ({self.returncode}):\n{self.stderr[-6000:]}"
        return json.loads(self.stdout)


@pytest.fixture
def run_cwl(tmp_path: Path):
    """``run_cwl(*args, outdir=None, check=True)``: run toil-cwl-runner in ``tmp_path``."""

    def run(*args: str, outdir: Optional[Path] = None, check: bool = True, timeout: int = 300,
            extra: Optional[List[str]] = None, default_outdir: bool = False,
            path_prepend: Optional[Path] = None) -> CWLRun:
        """``default_outdir``: pass no --outdir (outputs go to the working directory)."""
        out = tmp_path if default_outdir else (outdir or (tmp_path / "out"))
        flags = [] if default_outdir else ["--outdir", str(out)]
        command = runner_command() + flags + ["--logLevel", "INFO"] + list(extra or [])
        command += [str(a) for a in args]
        env = cwl_env(tmp_path)
        if path_prepend is not None:
            env["PATH"] = str(path_prepend) + os.pathsep + env["PATH"]
        proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout)
        result = CWLRun(proc, out)
        if check:
            result.output  # noqa: B018 - asserts success with the log on failure
        return result

    return run


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A private copy of tests/cwl/data."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target
