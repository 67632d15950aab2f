"""CWL benchmark cases: toil-cwl-runner against ``cwltool --parallel`` on the same workflow, back to back.

Each case runs a CWL workflow of bench/cwl/ on a generated input object with every runner in turn, in
the same bench run (the machine is shared: compare the ratio, not the seconds), and reports each
runner's wall clock (process start to exit: document loading, the run, the output export) and CPU
time (user + sys of the whole process tree: the runner, its workers and the tools), and the ratios
``cwltool seconds / toil-cwl-runner seconds`` for both (above 1: toil-cwl-runner is faster). With
``--repeat N`` the runners take turns N times (ABAB...); wall is the best round, CPU the median, and
the ratios are those of the same figures. On a loaded machine the CPU ratio is the one to read.

* ``cwl-scatter``  (g): the echo CommandLineTool scattered over 1000 messages (small: 100).
* ``cwl-3step`` (h): echo, upper-case and count CommandLineTools in a row, each scattered over
  200 messages (small: 20): 600 tool runs.

Runners: ours (``toil-cwl-runner`` of the benchmarked interpreter's environment, single_machine
batch system, file job store in the case's tmp dir), ``cwltool --parallel`` from the same environment,
and with ``--upstream`` upstream's toil-cwl-runner 5.10 (bench/.upstream-venv, given toil's ``cwl``
extra on first use). Every run's output object is checked: one output file per message.

    .venv/bin/python bench/run.py --cases g,h            # ours and cwltool
    .venv/bin/python bench/run.py --cases cwl --upstream  # also upstream toil-cwl-runner 5.10
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from cases import BENCH, LeaderSampler, bench_env, log

CWL_DIR = BENCH / "cwl"
UPSTREAM_CWL_REQUIREMENT = "toil[cwl]==5.10.0"

CWL_CASES: Dict[str, Dict[str, Any]] = {
    "g": {
        "name": "cwl-scatter",
        "title": "CWL: echo CommandLineTool scattered over {n} inputs",
        "document": "scatter_echo.cwl",
        "output": "outs",
        "params": {"full": {"n": 1000}, "small": {"n": 100}},
        "tools": lambda p: p["n"],
    },
    "h": {
        "name": "cwl-3step",
        "title": "CWL: 3-step workflow (echo, upper, count), each step scattered over {n} inputs",
        "document": "three_steps.cwl",
        "output": "counts",
        "params": {"full": {"n": 200}, "small": {"n": 20}},
        "tools": lambda p: 3 * p["n"],
    },
}


def ensure_upstream_cwl(upstream_python: str) -> Optional[str]:
    """upstream's toil-cwl-runner in the upstream venv (installs toil's ``cwl`` extra once);
    None when it cannot be had."""
    runner = Path(upstream_python).parent / "toil-cwl-runner"
    if not runner.exists():
        log(f"installing {UPSTREAM_CWL_REQUIREMENT} into the upstream venv")
        env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
        done = subprocess.run([upstream_python, "-m", "pip", "install", "-q", UPSTREAM_CWL_REQUIREMENT,
                               "setuptools<70"], env=env, check=False)
        if done.returncode != 0 or not runner.exists():
            log("upstream toil-cwl-runner could not be installed; its column stays empty")
            return None
    return str(runner)


def _command(runner: str, executable: str, document: str, inputs: str, tmp: str) -> List[str]:
    outdir = os.path.join(tmp, "out")
    if runner == "cwltool":
        return [executable, "--quiet", "--parallel", "--outdir", outdir, document, inputs]
    return [executable, "--quiet", "--jobStore", "file:" + os.path.join(tmp, "store"),
            "--batchSystem", "single_machine", "--workDir", tmp, "--outdir", outdir, document, inputs]


def _check(output: str, key: str, count: int) -> Optional[str]:
    """Why the run's output object is wrong (None when it has ``count`` files under ``key``)."""
    try:
        files = json.loads(output)[key]
    except (ValueError, KeyError, TypeError) as err:
        return f"no output object with {key!r}: {err}"
    if not isinstance(files, list) or len(files) != count:
        return f"{key!r} has {len(files) if isinstance(files, list) else files!r} entries, not {count}"
    missing = [f for f in files if not os.path.isfile(f.get("path", ""))]
    return f"{len(missing)} output files missing" if missing else None


def _children_cpu() -> float:
    """User + sys seconds of this process's finished (waited-for) descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_timed(runner: str, key: str, cmd: List[str], tmp: str, env: Dict[str, str],
              timeout: float, keep_logs: bool, check: Callable[[str], Optional[str]]) -> Dict[str, Any]:
    """Run one benchmark command in ``tmp`` with its main process sampled; its wall clock, the CPU
    time of its process tree and whether ``check`` accepts its standard output (shared by the CWL
    and WDL cases). Commands run one at a time, so the growth of this process's children's
    rusage over the run is the command's tree (the runner reaps its workers and tools)."""
    cpu_before = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    sampler = LeaderSampler(proc.pid)
    sampler.start()
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, 9)
        out, err = proc.communicate()
    seconds = time.perf_counter() - start
    cpu_seconds = _children_cpu() - cpu_before
    sampler.stopped.set()
    sampler.join(timeout=5)
    problem = "timed out" if timed_out else (f"exit code {proc.returncode}" if proc.returncode else
                                             check(out))
    result: Dict[str, Any] = {"runner": runner, "seconds": round(seconds, 3),
                              "cpu_seconds": round(cpu_seconds, 3), "ok": problem is None,
                              "main_process": sampler.summary()}
    if problem:
        result["error"] = problem
        result["error_tail"] = (err or "")[-4000:]
        log(f"{runner}: case {key} FAILED ({problem}); last lines of stderr:")
        for line in (err or "").splitlines()[-15:]:
            print("    " + line, flush=True)
    else:
        log(f"{runner}: case {key} done in {seconds:.2f} s ({cpu_seconds:.2f} s CPU)")
    if keep_logs:
        Path(tmp, "stdout.txt").write_text(out or "")
        Path(tmp, "stderr.txt").write_text(err or "")
        result["logs"] = tmp
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def run_one(runner: str, executable: str, key: str, scale: str, timeout: float,
            keep_logs: bool) -> Dict[str, Any]:
    """Run a CWL case once with one runner; its wall clock and whether the outputs are right."""
    case = CWL_CASES[key]
    params = case["params"][scale]
    tmp = tempfile.mkdtemp(prefix=f"toil-bench-{case['name']}-{runner}-")
    inputs = os.path.join(tmp, "inputs.json")
    with open(inputs, "w") as handle:
        json.dump({"messages": [f"message {i}" for i in range(params["n"])]}, handle)
    cmd = _command(runner, executable, str(CWL_DIR / case["document"]), inputs, tmp)
    env = bench_env()
    bindir = os.path.dirname(os.path.abspath(executable))
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    log(f"{runner}: case {key} ({case['name']}): " + " ".join(cmd))
    return run_timed(runner, key, cmd, tmp, env, timeout, keep_logs,
                     lambda out: _check(out, case["output"], params["n"]))


def run_cwl_case(python: str, key: str, scale: str, timeout: float, keep_logs: bool,
                 upstream_runner: Optional[str] = None, repeat: int = 1) -> Dict[str, Any]:
    """Every runner on case ``key``, back to back (``repeat`` rounds; the fastest run of each)."""
    case = CWL_CASES[key]
    params = case["params"][scale]
    bindir = Path(os.path.abspath(python)).parent
    runners = {"toil-cwl-runner": str(bindir / "toil-cwl-runner"), "cwltool": str(bindir / "cwltool")}
    if upstream_runner:
        runners["upstream toil-cwl-runner"] = upstream_runner
    runs: Dict[str, List[Dict[str, Any]]] = {name: [] for name in runners}
    for _ in range(max(1, repeat)):
        for name, executable in runners.items():
            runs[name].append(run_one(name, executable, key, scale, timeout, keep_logs))
    best: Dict[str, Any] = {}
    for name, results in runs.items():
        good = [r for r in results if r["ok"]]
        chosen = dict(min(good, key=lambda r: r["seconds"]) if good else results[-1])
        chosen["runs"] = [r["seconds"] if r["ok"] else None for r in results]
        chosen["cpu_runs"] = [r.get("cpu_seconds") if r["ok"] else None for r in results]
        if good:
            chosen["cpu_seconds"] = round(statistics.median(r["cpu_seconds"] for r in good), 3)
        best[name] = chosen
    ours = best["toil-cwl-runner"]
    ratios = {}
    cpu_ratios = {}
    for name, result in best.items():
        if name != "toil-cwl-runner" and result["ok"] and ours["ok"]:
            ratios[name] = round(result["seconds"] / ours["seconds"], 2)
            if ours.get("cpu_seconds"):
                cpu_ratios[name] = round(result["cpu_seconds"] / ours["cpu_seconds"], 2)
    return {"case": key, "name": case["name"], "title": case["title"].format(**params), "params": params,
            "tool_runs": case["tools"](params), "runners": best, "ratios": ratios, "cpu_ratios": cpu_ratios,
            "ok": all(r["ok"] for n, r in best.items() if n != "upstream toil-cwl-runner")}


def print_cwl(results: Dict[str, Dict[str, Any]]) -> None:
    """One line per case and runner, then the ratios against toil-cwl-runner."""
    for key, result in results.items():
        print(f"({key}) {result['title']} [{result['tool_runs']} tool runs]")
        for name, run in result["runners"].items():
            shown = f"{run['seconds']:8.2f} s" if run["ok"] else f"  FAILED ({run.get('error')})"
            rate = f"  {result['tool_runs'] / run['seconds']:7.1f} tools/s" if run["ok"] else ""
            cpu = f"  CPU {run['cpu_seconds']:7.2f} s" if run["ok"] and run.get("cpu_seconds") is not None else ""
            print(f"    {name:<26}{shown}{rate}{cpu}   runs {run['runs']}")
        cpu_ratios = result.get("cpu_ratios", {})
        for name, ratio in result["ratios"].items():
            goal = "  (goal >= 2x: " + ("MET" if ratio >= 2 else "NOT MET") + ")" if name == "cwltool" else ""
            cpu_ratio = cpu_ratios.get(name)
            cpu = f", CPU {cpu_ratio:.2f}x" if cpu_ratio is not None else ""
            print(f"    {name} / toil-cwl-runner: wall {ratio:.2f}x{goal}{cpu}")
