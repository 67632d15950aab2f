"""WDL benchmark case: toil-wdl-runner against ``miniwdl run`` on the same workflow, back to back.

* ``wdl-scatter`` (w): bench/wdl/scatter_echo.wdl, one tiny task (``echo`` into a file) per message,
  scattered over 500 messages (small: 50), every task in a container (``docker: "ubuntu:20.04"``).

Both runners run every task under podman, the container engine of this machine: toil-wdl-runner
through its own podman support (single_machine batch system, file job store in the case's tmp dir);
miniwdl through its ``podman`` container backend (its default backend, Docker swarm, needs a Docker
daemon in swarm mode, which podman's Docker-compatible API does not offer). No registry is reachable,
so the image is built locally (``python -m toil_wdl.images``), and miniwdl's podman command is a
shim that skips ``podman pull`` when the image is already present (miniwdl pulls before every run of
a new image). A third line runs toil-wdl-runner with ``--container none`` (commands on the host) for
the cost of the containers themselves. The ratio is ``miniwdl seconds / toil-wdl-runner seconds``
(above 1: toil-wdl-runner is faster); every run's output object is checked (one file per message).

    .venv/bin/python bench/run.py --cases w            # or: --cases wdl-scatter --scale small
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

from cases import BENCH, bench_env, log
from cwl_cases import run_timed

WDL_DIR = BENCH / "wdl"
IMAGE = "docker.io/library/ubuntu:20.04"

WDL_CASES: Dict[str, Dict[str, Any]] = {
    "w": {
        "name": "wdl-scatter",
        "title": "WDL: echo task scattered over {n} inputs, each in a podman container",
        "document": "scatter_echo.wdl",
        "output": "scatter_echo.outs",
        "params": {"full": {"n": 500}, "small": {"n": 50}},
        "tools": lambda p: p["n"],
    },
}

def _prepare(python: str, tmp: str) -> Optional[Dict[str, str]]:
    """Build the image (if needed); miniwdl's podman settings, or None when podman cannot run here."""
    done = subprocess.run([python, "-m", "toil_wdl.images", IMAGE], capture_output=True, text=True)
    if done.returncode != 0:
        log(f"the task image could not be built: {done.stderr.strip()}")
        return None
    from toil_wdl.images import miniwdl_podman_env

    try:
        return miniwdl_podman_env(tmp)
    except RuntimeError as err:
        log(str(err))
        return None


def _command(runner: str, bindir: str, document: str, inputs: str, tmp: str) -> List[str]:
    if runner == "miniwdl":
        return [os.path.join(bindir, "miniwdl"), "run", document, "-i", inputs, "-d", os.path.join(tmp, "mw")]
    command = [os.path.join(bindir, "toil-wdl-runner"), "--jobStore", "file:" + os.path.join(tmp, "store"),
               "--batchSystem", "single_machine", "--workDir", tmp, "-o", os.path.join(tmp, "out"),
               "--logLevel", "WARNING", document, inputs]
    return command + (["--container", "none"] if runner.endswith("(host)") else ["--container", "podman"])


def _check(output: str, key: str, count: int) -> Optional[str]:
    """Why a run's output object is wrong (None when ``key`` lists ``count`` existing files)."""
    try:
        document = json.loads(output)
        files = (document.get("outputs") or document)[key]
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        return f"no output object with {key!r}: {err}"
    if not isinstance(files, list) or len(files) != count:
        return f"{key!r} has {len(files) if isinstance(files, list) else files!r} entries, not {count}"
    missing = [f for f in files if not os.path.isfile(f)]
    return f"{len(missing)} output files missing" if missing else None


def run_one(runner: str, bindir: str, key: str, scale: str, timeout: float, keep_logs: bool,
            miniwdl_env: Dict[str, str]) -> Dict[str, Any]:
    """Run the case once with one runner; its wall clock and whether the outputs are right."""
    case = WDL_CASES[key]
    params = case["params"][scale]
    tmp = tempfile.mkdtemp(prefix=f"toil-bench-{case['name']}-{runner.split()[0]}-")
    inputs = os.path.join(tmp, "inputs.json")
    with open(inputs, "w") as handle:
        json.dump({"scatter_echo.messages": [f"message {i}" for i in range(params["n"])],
                   "scatter_echo.image": IMAGE}, handle)
    cmd = _command(runner, bindir, str(WDL_DIR / case["document"]), inputs, tmp)
    env = bench_env()
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.update(miniwdl_env)
    log(f"{runner}: case {key} ({case['name']}): " + " ".join(cmd))
    return run_timed(runner, key, cmd, tmp, env, timeout, keep_logs,
                     lambda out: _check(out, case["output"], params["n"]))


def run_wdl_case(python: str, key: str, scale: str, timeout: float, keep_logs: bool,
                 repeat: int = 1) -> Dict[str, Any]:
    """Every runner on case ``key``, back to back (``repeat`` rounds; the fastest run of each)."""
    case = WDL_CASES[key]
    params = case["params"][scale]
    bindir = str(Path(os.path.abspath(python)).parent)
    scratch = tempfile.mkdtemp(prefix="toil-bench-wdl-")
    try:
        miniwdl_env = _prepare(python, scratch)
        runners = ["toil-wdl-runner", "miniwdl", "toil-wdl-runner (host)"]
        runs: Dict[str, List[Dict[str, Any]]] = {name: [] for name in runners}
        for _ in range(max(1, repeat)):
            for name in runners:
                if miniwdl_env is None:
                    runs[name].append({"runner": name, "seconds": 0.0, "ok": False, "error": "no podman"})
                    continue
                runs[name].append(run_one(name, bindir, key, scale, timeout, keep_logs, miniwdl_env))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    best: Dict[str, Any] = {}
    for name, results in runs.items():
        good = [r for r in results if r["ok"]]
        chosen = dict(min(good, key=lambda r: r["seconds"]) if good else results[-1])
        chosen["runs"] = [r["seconds"] if r["ok"] else None for r in results]
        best[name] = chosen
    ours = best["toil-wdl-runner"]
    ratios = {}
    for name, result in best.items():
        if name != "toil-wdl-runner" and result["ok"] and ours["ok"]:
            ratios[name] = round(result["seconds"] / ours["seconds"], 2)
    return {"case": key, "name": case["name"], "title": case["title"].format(**params), "params": params,
            "tool_runs": case["tools"](params), "runners": best, "ratios": ratios,
            "ok": all(r["ok"] for r in best.values())}


def print_wdl(results: Dict[str, Dict[str, Any]]) -> None:
    """One line per case and runner, then the ratios against toil-wdl-runner."""
    for key, result in results.items():
        print(f"({key}) {result['title']} [{result['tool_runs']} task runs]")
        for name, run in result["runners"].items():
            shown = f"{run['seconds']:8.2f} s" if run["ok"] else f"  FAILED ({run.get('error')})"
            rate = f"  {result['tool_runs'] / run['seconds']:7.1f} tasks/s" if run["ok"] else ""
            print(f"    {name:<26}{shown}{rate}   runs {run['runs']}")
        for name, ratio in result["ratios"].items():
            goal = "  (goal >= 1x: " + ("MET" if ratio >= 1 else "NOT MET") + ")" if name == "miniwdl" else ""
            print(f"    {name} / toil-wdl-runner: {ratio:.2f}x{goal}")
