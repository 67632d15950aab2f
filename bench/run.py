#!/usr/bin/env python3
"""End-to-end benchmark of this project's engine against upstream Toil 5.10, side by side.

Cases (each a real workflow script in bench/, public Toil API only, run as a subprocess and timed by
the wall clock around it; single_machine batch system + file: job store):
  (a) fan-out of 1000 trivial jobs           (b) chain of 200 follow-ons passing a promise
  (c) binaryStrings tree of depth 10         (d) 200 x 1 MB files through the file store
  (e) fan-outs of 10,000 and 100,000 jobs: seconds per job at both sizes and the leader's RSS per
      pending job (only the leader pid is sampled, every 50 ms)
  (e1m) opt-in, never part of "all" (hours on a busy machine): the same with 1,000,000 jobs; with
      e10k in the same run (--cases million = e10k,e100k,e1m) the leader's CPU per job at 1M over
      that at 10k (goal <= 1.3) and its bytes per pending job at 1M (goal <= 1 KiB)
  (pending) ``toil status`` and the load phase of ``--restart`` on a store of 100,000 pending jobs (a
      fan-out killed once its root committed; bench/pending_store.py): CPU and wall of each;
      (pending1m) opt-in, part of "million": the same at 1,000,000 (goal: each under 30 s)
  (f) 500 independent small command jobs (the CWL CommandLineTool scatter pattern)
  (sj) 20 jobs each writing 100 files of 1 KiB (writeGlobalFileStream), then one job reading all 2000
      (readGlobalFileStream): issue 24's small-files workload, whole workflow, with upstream
  (s) 2000 files of 1-4 KiB through write/readGlobalFile and the streams, against plain Python on the
      same disk in the same job (ratio toil/plain per operation; scache: the same, caching file store)
  (import) ``python -c "import toil.job"``: wall clock and -X importtime, median of 5
  (t) start-up: ``import toil.job``, ``import toil.common`` and the hello-world workflow end to end,
      wall and CPU, for every ``--python`` given (and upstream with --upstream) in alternating rounds,
      with each interpreter's ratio to the first (bench/startup.py)
  (aws) opt-in (needs moto, installed by dev.py setup): the fan-out (1000 children; 100 with --quick)
      and the files case on an ``aws:`` job store against a local S3 server beside the same on a
      ``file:`` store, in alternating rounds (--repeat, default 3): S3 requests per job (goal: at
      most 4 per trivial job) and the aws/file ratio of wall time (goal: within 3x for the
      fan-out) and of CPU time, with and without the S3 server's (bench/aws_s3.py)
  (g) CWL: echo scattered over 1000 inputs  (h) CWL: 3 scattered steps over 200 inputs; both run with
      toil-cwl-runner and ``cwltool --parallel`` back to back (bench/cwl_cases.py): the ratio is the result

    python3 dev.py bench                              # (make bench) all cases, ours only
    python3 dev.py bench -- --upstream --repeat 2      # also upstream Toil 5.10.0; ours best of 2
    python3 dev.py bench -- --quick --upstream         # small sizes, no 100k: a fast check
    .venv/bin/python bench/run.py --cases a,e --profile /tmp/prof   # + cProfile of leader and jobs
    .venv/bin/python bench/run.py --cases cwl         # the CWL cases g and h: toil-cwl-runner vs cwltool
    .venv/bin/python bench/run.py --cases wdl         # the WDL case w: toil-wdl-runner vs miniwdl run
    .venv/bin/python bench/run.py --cases t --python OLD/.venv/bin/python --python .venv/bin/python
                                                      # start-up of two checkouts side by side

--upstream creates bench/.upstream-venv (toil==5.10.0 from PyPI) on first use.  Upstream runs the big
fan-out only for 10,000 jobs and only with --upstream-large (about half an hour).  Results are written
as JSON to bench/results/ (a time-stamped file and latest.json); the exit code is 0 when every case of
ours ran correctly, whatever the targets say (the benchmark is no part of the tests' pass/fail).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aws_s3  # noqa: E402
import importtime  # noqa: E402
import pending_store  # noqa: E402
import report  # noqa: E402
import startup  # noqa: E402
from cwl_cases import CWL_CASES, ensure_upstream_cwl, print_cwl, run_cwl_case  # noqa: E402
from wdl_cases import WDL_CASES, print_wdl, run_wdl_case  # noqa: E402
from cases import (ALIASES, BENCH, CASES, REFERENCE_SECONDS, UPSTREAM_REQUIREMENTS,  # noqa: E402
                   engine_version, ensure_upstream, log, run_best)

RESULTS = BENCH / "results"
#: Opt-in cases: run only when named (--cases e1m or --cases million), never by "all".
OPT_IN = ["e1m", "aws", "pending1m"]
ALL = [k for k in CASES if k not in OPT_IN] + ["import", "startup", "pending"]  # (aws: opt-in)
CWL_ALIASES = {c["name"]: k for k, c in [*CWL_CASES.items(), *WDL_CASES.items()]}
GROUPS = {"e": ["e10k", "e100k"], "million": ["e10k", "e100k", "e1m", "pending1m"], "all": ALL, "i": ["import"],
          "imports": ["import"], "t": ["startup"], "start-up": ["startup"], "cwl": list(CWL_CASES),
          "wdl": list(WDL_CASES), "s3": ["aws"]}


def parse_cases(text: str) -> List[str]:
    out: List[str] = []
    for item in text.split(","):
        item = item.strip().lower()
        if not item:
            continue
        keys = GROUPS.get(item) or [ALIASES.get(item, CWL_ALIASES.get(item, item))]
        for key in keys:
            if key not in CASES and key not in CWL_CASES and key not in WDL_CASES and key not in ("import",
                                                                                                 "startup", "aws", "pending", "pending1m"):
                raise argparse.ArgumentTypeError(
                    f"unknown case {item!r}; choose from all, e, import, t (startup), pending, pending1m, "
                    + ", ".join(f"{k} ({c['name']})"
                                for k, c in [*CASES.items(), *CWL_CASES.items(), *WDL_CASES.items()]))
            if key not in out:
                out.append(key)
    if not out:
        raise argparse.ArgumentTypeError("no cases given")
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=parse_cases, default=ALL,
                        help="comma-separated: a|fanout, b|chain, c|tree, d|files, e (= e10k,e100k), "
                             "e1m|fanout1m (opt-in), pending (status/restart at 100k), pending1m (opt-in), "
                             "million (= e10k,e100k,e1m,pending1m), "
                             "f|commands, s|smallfiles, sj|smallfiles-jobs, scache|smallfiles-caching, import, t|startup, aws (opt-in), all (default: all; the CWL cases only when named: "
                             "g|cwl-scatter, h|cwl-3step, cwl = g,h; w|wdl-scatter, wdl = w)")
    parser.add_argument("--scale", choices=["small", "full"], default="full",
                        help="full: the target sizes; small: shrunk counts for quick checks")
    parser.add_argument("--quick", action="store_true",
                        help="fast check: --scale small (the big fan-outs become 1000 and 5000 jobs) "
                             "and 3 import runs")
    parser.add_argument("--upstream", action="store_true",
                        help="also run every case under upstream Toil 5.10.0 in bench/.upstream-venv")
    parser.add_argument("--upstream-large", action="store_true",
                        help="with --upstream: also run upstream's 10,000-job fan-out (slow)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each of our cases N times and keep the fastest (default 1)")
    parser.add_argument("--import-runs", type=int, default=None,
                        help="import measurements, and rounds of the start-up case (default 5)")
    parser.add_argument("--python", action="append", default=None,
                        help="interpreter with this project's engine installed (default: this one); "
                             "give it again for more interpreters (other checkouts' venvs): the start-up "
                             "case (t) measures them all side by side, the other cases only the first")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per run before it is killed (default: 3600 full, 600 small)")
    parser.add_argument("--profile", type=Path, default=None, metavar="DIR",
                        help="first run of each of our cases: cProfile the leader (DIR/<case>-leader.prof) "
                             "and every job (DIR/<case>-workers/, TOIL_PROFILE_WORKERS_DIR); "
                             "summarise with bench/profile_summary.py")
    parser.add_argument("--profile-cpu", action="store_true",
                        help="with --profile: profile CPU time instead of wall-clock time (a loaded "
                             "machine inflates wall-clock profiles with time spent waiting for a CPU)")
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep each run's job store tmp dir with its stdout/stderr")
    parser.add_argument("--output", type=Path, default=None,
                        help="JSON results file (default: bench/results/<time>.json, also latest.json)")
    return parser


def main(argv: List[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.quick:
        args.scale = "small"
    if args.repeat < 1:
        raise SystemExit("--repeat must be at least 1")
    # runs use their tmp dir as cwd; keep venv symlinks unresolved
    pythons = [os.path.abspath(p) for p in (args.python or [sys.executable])]
    args.python = pythons[0]
    timeout = args.timeout or (3600.0 if args.scale == "full" else 600.0)
    import_runs = args.import_runs or (3 if args.quick else 5)
    if args.profile is not None:
        if args.profile_cpu:
            os.environ["TOIL_PROFILE_CLOCK"] = "cpu"  # read by profile_leader.py and the fork server
        args.profile = args.profile.resolve()
        args.profile.mkdir(parents=True, exist_ok=True)

    upstream_python = ensure_upstream(args.python) if args.upstream else None
    started = time.time()
    ours: Dict[str, Dict[str, Any]] = {}
    upstream: Dict[str, Dict[str, Any]] = {}
    imports: Dict[str, Dict[str, Any]] = {}
    starts: Dict[str, Any] = {}
    cwl: Dict[str, Dict[str, Any]] = {}
    wdl: Dict[str, Dict[str, Any]] = {}
    aws: Dict[str, Dict[str, float]] = {}
    pending: Dict[str, Dict[str, Any]] = {}
    upstream_cwl = None
    if upstream_python and any(key in CWL_CASES for key in args.cases):
        upstream_cwl = ensure_upstream_cwl(upstream_python)
    for key in args.cases:
        if key in WDL_CASES:
            wdl[key] = run_wdl_case(args.python, key, args.scale, timeout, args.keep_logs, args.repeat)
            continue
        if key in CWL_CASES:
            cwl[key] = run_cwl_case(args.python, key, args.scale, timeout, args.keep_logs, upstream_cwl,
                                    args.repeat)
            continue
        if key == "aws":
            children = 100 if args.scale == "small" else 1000
            log(f"aws: fan-out of {children} and files on aws: vs file:, {max(args.repeat, 3)} rounds")
            aws = aws_s3.measure(children=children, files=20, readers=3, rounds=max(args.repeat, 3))
            continue
        if key in ("pending", "pending1m"):
            jobs = 1_000_000 if key == "pending1m" else (5000 if args.scale == "small" else 100_000)
            log(f"{key}: toil status and the restart's load on a store of {jobs} pending jobs")
            pending[key] = pending_store.measure(args.python, jobs, rounds=1 if key == "pending1m" else 2,
                                                 timeout=max(timeout, 6 * 3600.0))
            continue
        if key == "startup":
            both = pythons + ([upstream_python] if upstream_python else [])
            log(f"start-up: {len(both)} interpreter(s) x {import_runs} rounds")
            starts = startup.measure(both, import_runs)
            continue
        if key == "import":
            log(f"ours: import toil.job x{import_runs}")
            imports["ours"] = importtime.measure(args.python, import_runs)
            imports["ours"]["python_startup"] = importtime.baseline(args.python, import_runs)
            if upstream_python:
                log(f"upstream: import toil.job x{import_runs}")
                imports["upstream"] = importtime.measure(upstream_python, import_runs)
                imports["upstream"]["python_startup"] = importtime.baseline(upstream_python, import_runs)
            continue
        ours[key] = run_best(args.python, key, args.scale, timeout, "ours", args.keep_logs, args.repeat,
                             args.profile)
        policy = CASES[key]["upstream"]
        if upstream_python and (policy == "always" or (policy == "large" and args.upstream_large)):
            upstream[key] = run_best(upstream_python, key, args.scale, timeout, "upstream",
                                     args.keep_logs, 1)
    derived = report.derive_fanout(ours, upstream)
    rows = report.targets(ours, upstream, derived, imports)

    print()
    print(f"toil-core benchmark, scale={args.scale}{' (--quick)' if args.quick else ''}, "
          f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, "
          f"Python {platform.python_version()}, ours best of {args.repeat}, .pyc cache bench/.pycache")
    if ours:
        print()
        report.print_cases(ours, upstream, args.scale)
        if not upstream_python:
            print("(upstream not run: pass --upstream for the side-by-side columns and ratios)")
        print("ratios: reference or upstream seconds / our seconds (above 1x: this engine is faster); "
              "leader MiB/CPU s: the leader process alone")
    if cwl:
        print()
        print_cwl(cwl)
        print("ratios: other runner's seconds / toil-cwl-runner's seconds, measured back to back in this run "
              "(above 1x: toil-cwl-runner is faster)")
    if wdl:
        print()
        print_wdl(wdl)
        print("ratios: other runner's seconds / toil-wdl-runner's seconds, measured back to back in this run "
              "(above 1x: toil-wdl-runner is faster)")
    if imports:
        print()
        for side, m in imports.items():
            print(f"import toil.job, {side}: wall {m.get('walls')} s (bare interpreter "
                  f"{m.get('python_startup')} s), -X importtime {m.get('importtime_us')} us")
    if starts:
        print()
        startup.print_startup(starts)
    for key, m in pending.items():
        print()
        pending_store.print_pending(m)
    print()
    print("TARGETS" + (" (--quick: shrunk sizes; the targets are defined at full scale)"
                       if args.scale != "full" else ""))
    report.print_targets(rows)
    not_met = [r[0] for r in rows if r[-1] == "NOT MET"]
    unmeasured = [r[0] for r in rows if r[-1] == "n/a"]
    print(f"targets: {sum(r[-1] == 'MET' for r in rows)} met, {len(not_met)} not met, "
          f"{len(unmeasured)} not measured (no upstream run or missing case)")
    if not_met:
        print(f"not met: {', '.join(not_met)}")

    doc = {
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "elapsed_seconds": round(time.time() - started, 1),
        "scale": args.scale, "quick": args.quick, "repeat": args.repeat,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "loadavg_at_end": os.getloadavg()},
        "ours": {"python": args.python, "version": engine_version(args.python), "results": ours},
        "upstream": ({"python": upstream_python, "version": engine_version(upstream_python),
                      "requirements": UPSTREAM_REQUIREMENTS, "results": upstream}
                     if upstream_python else None),
        "imports": imports, "startup": starts, "aws": aws, "pending": pending, "derived": derived, "cwl": cwl, "wdl": wdl,
        "reference": {"description": "upstream Toil 5.10, 2-core machine, single_machine + file job store",
                      "seconds": REFERENCE_SECONDS},
        "targets": [dict(zip(["target", "ours", "upstream", "ratio", "goal", "status"], r)) for r in rows],
    }
    outputs = [args.output] if args.output else [
        RESULTS / f"{datetime.datetime.now().strftime('%Y%m%d-%H%M%S')}-{args.scale}.json",
        RESULTS / "latest.json"]
    for path in outputs:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"results written to {', '.join(str(p) for p in outputs)}")
    return 0 if (all(r["ok"] for r in ours.values()) and all(m.get("ok") for m in imports.values())
                 and all(r["ok"] for r in starts.get("results", {}).values())
                 and all(r["ok"] for r in cwl.values()) and all(r["ok"] for r in wdl.values())) else 1


if __name__ == "__main__":
    sys.exit(main())
