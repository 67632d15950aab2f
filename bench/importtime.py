"""Import-time measurement: ``python -c "import toil.job"`` for one interpreter (used by bench/run.py).

Two numbers, each the median of N runs in a fresh interpreter (cwd: an empty temp dir, no PYTHONPATH;
a first, unmeasured run fills the byte-code cache, bench/.pycache, for both interpreters alike):
  wall        wall clock of the whole interpreter, start to exit (what a user waits for)
  importtime  ``-X importtime`` cumulative microseconds of the top-level ``toil.job`` import (it includes
              the parent package ``toil`` and everything both import; interpreter start-up excluded)
"""
from __future__ import annotations

import re
import statistics
import subprocess
import tempfile
import time
from typing import Any, Dict, List, Optional

MODULE = "toil.job"
_LINE = re.compile(r"^import time:\s*(\d+)\s*\|\s*(\d+)\s*\|(\s*)(\S+)\s*$")


def _env() -> Dict[str, str]:
    from cases import bench_env  # no PYTHONPATH; .pyc files cached in bench/.pycache

    return bench_env()


def cumulative_us(stderr: str, module: str = MODULE) -> Optional[int]:
    """The cumulative time of ``module`` imported at top level, from ``-X importtime`` output."""
    for line in stderr.splitlines():
        match = _LINE.match(line)
        # Top-level entries are indented by one space; nested ones by more.
        if match and match.group(4) == module and len(match.group(3)) <= 1:
            return int(match.group(2))
    return None


def measure(python: str, runs: int = 5, module: str = MODULE) -> Dict[str, Any]:
    walls: List[float] = []
    cumulative: List[int] = []
    error = None
    with tempfile.TemporaryDirectory(prefix="toil-bench-import-") as cwd:
        subprocess.run([python, "-c", f"import {module}"], cwd=cwd, env=_env(), capture_output=True,
                       check=False)  # warm the page cache and __pycache__ once, not measured
        for _ in range(runs):
            start = time.perf_counter()
            proc = subprocess.run([python, "-c", f"import {module}"], cwd=cwd, env=_env(),
                                  capture_output=True, text=True, check=False)
            walls.append(time.perf_counter() - start)
            if proc.returncode != 0:
                error = proc.stderr[-2000:]
                break
        for _ in range(runs if error is None else 0):
            proc = subprocess.run([python, "-X", "importtime", "-c", f"import {module}"], cwd=cwd,
                                  env=_env(), capture_output=True, text=True, check=False)
            value = cumulative_us(proc.stderr, module)
            if value is not None:
                cumulative.append(value)
    result: Dict[str, Any] = {"module": module, "runs": runs, "ok": error is None and bool(cumulative),
                              "walls": [round(w, 4) for w in walls], "importtime_us": cumulative}
    if error is not None:
        result["error_tail"] = error
    if walls:
        result["wall_median"] = round(statistics.median(walls), 4)
    if cumulative:
        result["importtime_median_us"] = int(statistics.median(cumulative))
    return result


def baseline(python: str, runs: int = 5) -> float:
    """Median wall clock of ``python -c pass`` (the interpreter's own start-up, for context)."""
    walls = []
    with tempfile.TemporaryDirectory(prefix="toil-bench-import-") as cwd:
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([python, "-c", "pass"], cwd=cwd, env=_env(), capture_output=True, check=False)
            walls.append(time.perf_counter() - start)
    return round(statistics.median(walls), 4)
