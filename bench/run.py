#!/usr/bin/env python3
"""End-to-end benchmark of this project's engine (single_machine batch system + file: job store).

Each case is a real Toil workflow script (bench/wf_<case>.py, public Toil API only) run as a subprocess
and timed by the wall clock around that subprocess: interpreter start, imports, job store creation,
scheduling, workers, promise resolution and clean-up are all included.

    .venv/bin/python bench/run.py                        # all cases, full scale
    .venv/bin/python bench/run.py --cases a,c --scale small
    .venv/bin/python bench/run.py --upstream             # also run the same scripts under upstream Toil 5.10

The table compares against reference figures measured for upstream Toil 5.10 on this machine (2 cores,
single_machine + file job store) and, with --upstream, against a live upstream run side by side.  Ratios
are reference seconds / our seconds: above 1 means this engine is faster.  Results are also written as
JSON to bench/results/latest.json.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
UPSTREAM_VENV = BENCH / ".upstream-venv"
UPSTREAM_REQUIREMENTS = ["toil==5.10.0", "setuptools<70"]  # toil 5.10 imports distutils/pkg_resources
MB = 1024 * 1024

# Upstream Toil 5.10, 2-core machine, single_machine + file job store, full scale.
REFERENCE_SECONDS = {"a": 197.0, "b": 3.1, "c": 615.0, "d": 7.1}

CASES: dict[str, dict] = {
    "a": {
        "name": "fanout",
        "title": "fan-out: root + {n} trivial children",
        "script": "wf_fanout.py",
        "params": {"full": {"n": 1000}, "small": {"n": 100}},
        "args": lambda p: [f"--benchChildren={p['n']}"],
        "jobs": lambda p: p["n"] + 1,
    },
    "b": {
        "name": "chain",
        "title": "chain of {n} follow-ons passing promises",
        "script": "wf_chain.py",
        "params": {"full": {"n": 200}, "small": {"n": 20}},
        "args": lambda p: [f"--benchLength={p['n']}"],
        "jobs": lambda p: p["n"] + 2,
    },
    "c": {
        "name": "tree",
        "title": "binaryStrings tree, depth {depth}",
        "script": "wf_tree.py",
        "params": {"full": {"depth": 10}, "small": {"depth": 5}},
        "args": lambda p: [f"--benchDepth={p['depth']}"],
        "jobs": lambda p: (2 ** (p["depth"] + 1) - 1) + (2 ** p["depth"] - 1),
    },
    "d": {
        "name": "files",
        "title": "{files} x 1 MB files, read by {readers} children",
        "script": "wf_files.py",
        "params": {"full": {"files": 200, "readers": 10}, "small": {"files": 20, "readers": 3}},
        "args": lambda p: [f"--benchFiles={p['files']}", f"--benchReaders={p['readers']}", "--benchFileMB=1"],
        "jobs": lambda p: 1 + p["readers"],
        "megabytes": lambda p: p["files"] * (1 + p["readers"]),  # written once + read by every reader
    },
}
ALIASES = {c["name"]: k for k, c in CASES.items()}


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def parse_cases(text: str) -> list[str]:
    out = []
    for item in text.split(","):
        item = item.strip().lower()
        if not item:
            continue
        key = ALIASES.get(item, item)
        if key not in CASES:
            raise argparse.ArgumentTypeError(
                f"unknown case {item!r}; choose from "
                + ", ".join(f"{k} ({c['name']})" for k, c in CASES.items()))
        if key not in out:
            out.append(key)
    if not out:
        raise argparse.ArgumentTypeError("no cases given")
    return out


def run_case(python: str, key: str, scale: str, timeout: float, label: str, keep_logs: bool) -> dict:
    case = CASES[key]
    params = case["params"][scale]
    tmp = tempfile.mkdtemp(prefix=f"toil-bench-{case['name']}-")
    store = "file:" + os.path.join(tmp, "store")
    cmd = [python, str(BENCH / case["script"]), store, "--logLevel=WARNING"] + case["args"](params)
    log(f"{label}: case {key} ({case['name']}): " + " ".join(cmd))
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # the interpreter's own environment decides which engine is imported
    # As if the venv were activated: upstream Toil's single_machine batch system runs `_toil_worker` by name.
    bindir = os.path.dirname(os.path.abspath(python))
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = os.path.dirname(bindir)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the workflow's own process group (leader + workers)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
    seconds = time.perf_counter() - start
    report = None
    for line in out.splitlines():
        if line.startswith("BENCH-RESULT "):
            try:
                report = json.loads(line[len("BENCH-RESULT "):])
            except ValueError:
                pass
    ok = (not timed_out) and proc.returncode == 0 and bool(report and report.get("ok"))
    result = {
        "case": key,
        "name": case["name"],
        "title": case["title"].format(**params),
        "params": params,
        "jobs": case["jobs"](params),
        "seconds": round(seconds, 3),
        "ok": ok,
        "returncode": proc.returncode,
        "timed_out": timed_out,
    }
    if "megabytes" in case:
        result["megabytes"] = case["megabytes"](params)
    if ok:
        result["jobs_per_second"] = round(result["jobs"] / seconds, 2)
        if "megabytes" in result:
            result["megabytes_per_second"] = round(result["megabytes"] / seconds, 2)
        log(f"{label}: case {key} done in {seconds:.2f} s")
    else:
        why = f"timed out after {timeout:.0f} s" if timed_out else f"exit code {proc.returncode}"
        result["error_tail"] = (err or "")[-4000:]
        log(f"{label}: case {key} FAILED ({why}); last lines of stderr:")
        for line in (err or "").splitlines()[-25:]:
            print("    " + line, file=sys.stderr)
    if keep_logs:
        (Path(tmp) / "stdout.txt").write_text(out or "")
        (Path(tmp) / "stderr.txt").write_text(err or "")
        result["logs"] = tmp
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def ensure_upstream(python: str) -> str:
    """Create bench/.upstream-venv with upstream Toil 5.10.0 (once) and return its python."""
    py = UPSTREAM_VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    stamp = UPSTREAM_VENV / ".installed"
    wanted = " ".join(UPSTREAM_REQUIREMENTS)
    if py.exists() and stamp.is_file() and stamp.read_text().strip() == wanted:
        return str(py)
    log(f"creating {UPSTREAM_VENV} with {wanted}")
    subprocess.run([python, "-m", "venv", "--clear", str(UPSTREAM_VENV)], check=True)
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True, env=env)
    subprocess.run([str(py), "-m", "pip", "install", "-q"] + UPSTREAM_REQUIREMENTS, check=True, env=env)
    stamp.write_text(wanted + "\n")
    return str(py)


def engine_version(python: str) -> str:
    code = ("import importlib.metadata as m\n"
            "for d in ('toil-core', 'toil'):\n"
            "    try:\n        print(d, m.version(d)); break\n"
            "    except m.PackageNotFoundError:\n        pass\n")
    try:
        return subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60,
                              check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def print_table(results: list[dict], upstream: list[dict] | None, scale: str) -> None:
    headers = ["case", "jobs", "seconds", "jobs/s", "MB/s", "ref s (5.10)", "ref/ours"]
    if upstream is not None:
        headers += ["upstream s", "upstream/ours"]
    rows = []
    for i, r in enumerate(results):
        ok = r["ok"]
        ref = REFERENCE_SECONDS.get(r["case"]) if scale == "full" else None
        row = [
            f"({r['case']}) {r['title']}",
            str(r["jobs"]),
            fmt(r["seconds"]) if ok else ("TIMEOUT" if r["timed_out"] else "FAILED"),
            fmt(r.get("jobs_per_second"), ".1f"),
            fmt(r.get("megabytes_per_second"), ".1f"),
            fmt(ref, ".1f") if ref is not None else "n/a",
            (fmt(ref / r["seconds"]) + "x") if ok and ref is not None else "-",
        ]
        if upstream is not None:
            u = upstream[i]
            row += [
                fmt(u["seconds"]) if u["ok"] else ("TIMEOUT" if u["timed_out"] else "FAILED"),
                (fmt(u["seconds"] / r["seconds"]) + "x") if ok and u["ok"] else "-",
            ]
        rows.append(row)
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(widths[i]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(headers))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row)))
    if scale != "full":
        print("(reference figures apply to --scale full only)")
    print("ratios are reference (or upstream) seconds / our seconds: above 1x means this engine is faster")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=parse_cases, default=list(CASES),
                        help="comma-separated cases: a|fanout, b|chain, c|tree, d|files (default: all)")
    parser.add_argument("--scale", choices=["small", "full"], default="full",
                        help="full: the reference sizes; small: shrunk counts for quick checks")
    parser.add_argument("--upstream", action="store_true",
                        help="also run every case under upstream Toil 5.10.0 in bench/.upstream-venv")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter with this project's engine installed (default: this one)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per case before it is killed (default: 3600 full, 600 small)")
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep each run's job store tmp dir with its stdout/stderr")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json", help="JSON results file")
    args = parser.parse_args(argv)
    args.python = os.path.abspath(args.python)  # runs use their tmp dir as cwd; keep venv symlinks unresolved
    timeout = args.timeout or (3600.0 if args.scale == "full" else 600.0)

    upstream_python = ensure_upstream(args.python) if args.upstream else None
    results, upstream = [], ([] if upstream_python else None)
    for key in args.cases:
        results.append(run_case(args.python, key, args.scale, timeout, "ours", args.keep_logs))
        if upstream_python:
            upstream.append(run_case(upstream_python, key, args.scale, timeout, "upstream", args.keep_logs))

    print()
    print(f"toil-core benchmark, scale={args.scale}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    print_table(results, upstream, args.scale)

    doc = {
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "scale": args.scale,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "engine": {"python": args.python, "version": engine_version(args.python)},
        "reference": {"description": "upstream Toil 5.10, 2-core machine, single_machine + file job store",
                      "seconds": REFERENCE_SECONDS},
        "results": results,
    }
    if upstream is not None:
        doc["upstream"] = {"python": upstream_python, "version": engine_version(upstream_python),
                           "results": upstream}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"results written to {args.output}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
