#!/usr/bin/env python3
"""What the plugin machinery costs: start-up times that plugins could inflate.

    python bench/plugin_costs.py [--runs N] [--python PATH] [--json]

Each case runs N times in a fresh interpreter (cwd: an empty temp dir) and reports the median
and the minimum, in milliseconds:

  baseline            ``python -c pass`` (interpreter start-up, for reference)
  import toil.job     wall time of ``python -c "import toil.job"``; "in-process" is the import alone
  worker start        ``python -m toil_core.worker.entry`` on a job that does not exist (start-up,
                      job store plugin lookup, resume, failure report); "in-process" is importing
                      toil_core.worker.worker
  parse options       ``Job.Runner.getDefaultArgumentParser().parse_args(...)``, in process: the
                      first pass, the batch system's plugin lookup and its settings options
  plugin discovery    ``list_plugins()`` in process: one metadata scan, no plugin imported
  toil plugins list   wall time of the command
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence

IN_PROCESS = "import time, sys; _t = time.perf_counter(); {body}; print('T', time.perf_counter() - _t, file=sys.stderr)"

CASES = {
    "baseline": (["-c", "pass"], None),
    "import toil.job": (["-c", IN_PROCESS.format(body="import toil.job")], None),
    "worker start": (["-m", "toil_core.worker.entry", "job", "file:{store}", "no-such-job"],
                     IN_PROCESS.format(body="import toil_core.worker.worker")),
    "parse options": (["-c", "from toil.job import Job; " + IN_PROCESS.format(
        body="Job.Runner.getDefaultArgumentParser().parse_args(['file:js', '--batchSystem', 'single_machine'])")], None),
    "plugin discovery": (["-c", "import toil_core.plugins.registry as r; " + IN_PROCESS.format(
        body="r.list_plugins()")], None),
    "toil plugins list": (["-m", "toil_core.cli.main", "plugins", "list"], None),
}


def _env() -> Dict[str, str]:
    env = dict(os.environ)
    for name in ("PYTHONSTARTUP", "PYTHONPROFILEIMPORTTIME"):
        env.pop(name, None)
    return env


def _run(python: str, args: Sequence[str], cwd: str) -> "tuple[float, Optional[float]]":
    start = time.perf_counter()
    result = subprocess.run([python, *args], cwd=cwd, capture_output=True, text=True, env=_env(), timeout=300)
    wall = time.perf_counter() - start
    inner = [line.split()[1] for line in result.stderr.splitlines() if line.startswith("T ")]
    return wall, float(inner[-1]) if inner else None


def _make_store(python: str, cwd: str) -> str:
    store = os.path.join(cwd, "store")
    code = ("from toil_core.common.config import Config; from toil_core.jobstores.file_job_store import "
            f"FileJobStore; FileJobStore({store!r}).initialize(Config())")
    subprocess.run([python, "-c", code], check=True, env=_env(), timeout=120)
    return store


def _summary(values: List[float]) -> Dict[str, float]:
    return {"median_ms": round(statistics.median(values) * 1000, 1), "min_ms": round(min(values) * 1000, 1)}


def measure(python: str, runs: int) -> Dict[str, Dict[str, Dict[str, float]]]:
    results: Dict[str, Dict[str, Dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="toil-plugin-costs-") as cwd:
        store = _make_store(python, cwd)
        for name, (args, extra) in CASES.items():
            args = [a.replace("{store}", store) for a in args]
            walls: List[float] = []
            inner: List[float] = []
            for _ in range(runs):
                wall, seconds = _run(python, args, cwd)
                walls.append(wall)
                if seconds is not None:
                    inner.append(seconds)
                if extra is not None:
                    inner.append(_run(python, ["-c", extra], cwd)[1] or 0.0)
            results[name] = {"wall": _summary(walls)}
            if inner:
                results[name]["in_process"] = _summary(inner)
    return results


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per case (default 5)")
    parser.add_argument("--python", default=sys.executable, help="interpreter with toil-core installed")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    options = parser.parse_args(argv)
    results = measure(options.python, max(1, options.runs))
    if options.json:
        print(json.dumps({"python": options.python, "runs": options.runs, "results": results}, indent=2))
        return 0
    print(f"{'case':<20} {'wall median':>12} {'wall min':>10} {'in-process median':>18} {'min':>8}   (ms, {options.runs} runs)")
    for name, numbers in results.items():
        wall, inner = numbers["wall"], numbers.get("in_process")
        inner_text = f"{inner['median_ms']:>18.1f} {inner['min_ms']:>8.1f}" if inner else f"{'-':>18} {'-':>8}"
        print(f"{name:<20} {wall['median_ms']:>12.1f} {wall['min_ms']:>10.1f} {inner_text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
