"""Start-up figures side by side (issue 12: no start-up regression; issue 24 goal 5), used by run.py.

Case ``t`` (``startup``) times, for every interpreter given (``--python A --python B ...``; with
``--upstream`` also upstream Toil 5.10):

  pass         ``python -c pass`` (the interpreter alone, for context)
  toil.job     ``python -c "import toil.job"``
  toil.common  ``python -c "import toil.common"``
  hello        ``python examples/helloWorld.py file:STORE``: the manual's hello-world workflow end to
               end (leader, fork server and the one job; the script cleans its store)

Each in a fresh interpreter, wall clock and CPU time (user + system of the process and of the
children it waited for: the fork server and the job), in alternating rounds (A, B, A, B, ...) so that
load that comes and goes hits every interpreter alike; the medians are reported, with the ratio of
every interpreter to the first. Once per round ``-X importtime`` gives the cumulative import time of
``toil.job`` and ``toil.common``, and once per interpreter the number of modules each import loads.
A first, unmeasured round fills the byte-code cache (bench/.pycache) for all interpreters alike.
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from cases import BENCH, bench_env, log
from importtime import cumulative_us

HELLO = BENCH.parent / "examples" / "helloWorld.py"
STEPS = ("pass", "toil.job", "toil.common", "hello")
TITLES = {"pass": "python -c pass", "toil.job": "import toil.job", "toil.common": "import toil.common",
          "hello": "helloWorld.py end to end"}
MODULES = ("toil.job", "toil.common")


def _command(python: str, step: str, store: str) -> List[str]:
    if step == "pass":
        return [python, "-c", "pass"]
    if step == "hello":
        return [python, str(HELLO), "file:" + store, "--logLevel=WARNING"]
    return [python, "-c", f"import {step}"]


def _run(cmd: List[str], cwd: str, env: Dict[str, str]) -> Tuple[float, float, str]:
    """(wall seconds, CPU seconds of it and its waited-for children, error text or "")."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, (done.stderr[-2000:] or f"exit status {done.returncode}") if done.returncode else ""


def _module_count(python: str, module: str, cwd: str, env: Dict[str, str]) -> int:
    done = subprocess.run([python, "-c", f"import sys, {module}; print(len(sys.modules))"], cwd=cwd,
                          env=env, capture_output=True, text=True, check=False)
    return int(done.stdout.strip()) if done.returncode == 0 else -1


def measure(pythons: Sequence[str], rounds: int = 5) -> Dict[str, Any]:
    """The start-up figures of every interpreter in ``pythons`` (see the module docstring)."""
    env = bench_env()
    results: Dict[str, Dict[str, Any]] = {
        p: {"walls": {s: [] for s in STEPS}, "cpus": {s: [] for s in STEPS},
            "importtime_us": {m: [] for m in MODULES}, "errors": []} for p in pythons}
    with tempfile.TemporaryDirectory(prefix="toil-bench-startup-") as cwd:
        store = os.path.join(cwd, "store")
        for python in pythons:  # warm the byte-code and page caches, not measured
            for step in STEPS:
                _run(_command(python, step, store), cwd, env)
        for number in range(rounds):
            log(f"startup: round {number + 1} of {rounds}")
            for python in pythons:
                mine = results[python]
                for step in STEPS:
                    wall, cpu, error = _run(_command(python, step, store), cwd, env)
                    if error:
                        mine["errors"].append(f"{step}: {error}")
                        continue
                    mine["walls"][step].append(round(wall, 4))
                    mine["cpus"][step].append(round(cpu, 4))
                for module in MODULES:
                    done = subprocess.run([python, "-X", "importtime", "-c", f"import {module}"], cwd=cwd,
                                          env=env, capture_output=True, text=True, check=False)
                    value = cumulative_us(done.stderr, module)
                    if value is not None:
                        mine["importtime_us"][module].append(value)
        for python in pythons:
            mine = results[python]
            mine["modules"] = {m: _module_count(python, m, cwd, env) for m in MODULES}
            mine["wall_median"] = {s: round(statistics.median(v), 4) for s, v in mine["walls"].items() if v}
            mine["cpu_median"] = {s: round(statistics.median(v), 4) for s, v in mine["cpus"].items() if v}
            mine["importtime_median_us"] = {m: int(statistics.median(v))
                                            for m, v in mine["importtime_us"].items() if v}
            mine["ok"] = not mine["errors"] and all(mine["walls"][s] for s in STEPS)
    return {"pythons": list(pythons), "rounds": rounds, "results": results}


def _label(python: str, index: int) -> str:
    path = Path(python)
    # .../<checkout>/.venv/bin/python -> <checkout>: names the tree that is measured
    name = path.parents[2].name if len(path.parents) > 2 and path.parent.parent.name.startswith(".") \
        else str(path)
    return f"[{index}] {name}"


def print_startup(measured: Dict[str, Any]) -> None:
    """A table: one row per figure, one column per interpreter, then each one's ratio to the first."""
    pythons = measured["pythons"]
    results = measured["results"]
    labels = [_label(p, i) for i, p in enumerate(pythons)]
    print(f"START-UP (t): median of {measured['rounds']} alternating rounds; ratios: interpreter / [0] "
          "(below 1x: faster than [0])")
    for i, p in enumerate(pythons):
        print(f"  {labels[i]} = {p}")
    rows: List[List[str]] = []

    def add(name: str, values: List[Any], unit: str, scale: float) -> None:
        cells = [f"{v * scale:.0f} {unit}" if isinstance(v, (int, float)) and v >= 0 else "-" for v in values]
        first = values[0] if values else None
        ratios = [f"{v / first:.2f}x" if isinstance(v, (int, float)) and isinstance(first, (int, float))
                  and first > 0 and v >= 0 else "-" for v in values[1:]]
        rows.append([name] + cells + ratios)

    for step in STEPS:
        add(f"{TITLES[step]}: wall", [results[p].get("wall_median", {}).get(step) for p in pythons], "ms", 1000)
        add(f"{TITLES[step]}: CPU", [results[p].get("cpu_median", {}).get(step) for p in pythons], "ms", 1000)
    for module in MODULES:
        add(f"import {module}: -X importtime",
            [results[p].get("importtime_median_us", {}).get(module) for p in pythons], "ms", 0.001)
        add(f"import {module}: modules loaded",
            [results[p].get("modules", {}).get(module) for p in pythons], "", 1)
    header = ["figure"] + labels + [f"{lab.split(']')[0]}]/[0]" for lab in labels[1:]]
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  " + "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                               for i, (c, w) in enumerate(zip(row, widths))))
    for p in pythons:
        for error in results[p]["errors"][:3]:
            print(f"  FAILED under {p}: {error.strip().splitlines()[-1] if error.strip() else error}")
