"""Helpers shared by the toil-cwl tests (importable: tests/cwl is on sys.path for them)."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List

DATA = Path(__file__).resolve().parent / "data"


def runner_command() -> List[str]:
    """``toil-cwl-runner`` of the interpreter running the tests."""
    script = Path(sys.executable).parent / "toil-cwl-runner"
    return [str(script)] if script.exists() else [sys.executable, "-m", "toil_cwl"]


def cwl_env(cwd: Path) -> dict:
    env = dict(os.environ)
    tmp = cwd / "tmp"
    tmp.mkdir(exist_ok=True)
    env["TMPDIR"] = str(tmp)
    env["PYTHONUNBUFFERED"] = "1"
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env
