"""Build a job store holding a big fan-out's pending jobs, and time ``toil status`` and ``--restart``'s
load on it (issue 24 goal 4: both under 30 s at 1,000,000 pending jobs).

Building: bench/wf_fanout.py runs with N children until the root job's commit is stored (its
description no longer names a body: every child is created and reachable), then its whole process
group is killed with SIGKILL, as a crashed leader would be. The leader may have run a few children
by then; the rest are pending. Nothing but the public workflow script and a kill is used, so the
store is what a real crash leaves.

Measuring (each in a fresh interpreter, CPU time = user + system of that process, from
``getrusage``; wall time beside it): ``toil status JOBSTORE`` (the whole command), and the load
phase of ``--restart`` (``clean_for_restart``: the repair walk that reads every job, plus handing
the leader its descriptions), run on the killed store. The restart's load does not change a store
that needs no repair, so it can be repeated on the same store. Disk caches are warm after the first
round (the store was just written); ``--cold`` drops them first (needs root: writes
/proc/sys/vm/drop_caches), which is what a restart after a reboot sees.

    .venv/bin/python bench/pending_store.py --jobs 100000 --rounds 3 [--keep DIR] [--profile DIR]

bench/run.py runs it as case ``pending`` (100,000 jobs, 2 rounds; 5,000 with --quick) and, opt-in,
``pending1m`` (1,000,000 jobs, 1 round: building the store takes about 20 minutes on a busy 2-core
machine).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

BENCH = Path(__file__).resolve().parent

#: Run in a fresh interpreter: the restart's load phase on the store given as argv[1].
RESTART_LOAD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from toil_core.cli._common import make_store
from toil_core.common.config import Config
from toil_core.leader.restart import clean_for_restart
from toil_core.leader.tracker import JobTracker
store = make_store(sys.argv[1]); store.resume()
config = Config(); config.jobStore = sys.argv[1]
before = resource.getrusage(resource.RUSAGE_SELF); w0 = time.perf_counter()
prof = None
if len(sys.argv) > 2:
    import cProfile; prof = cProfile.Profile(); prof.enable()
loaded = {}
root = clean_for_restart(store, config, store.root_job_id(), loaded)
tracker = JobTracker(store, compact=True)
count = len(loaded)
tracker.preload(loaded)
if prof is not None:
    prof.disable(); prof.dump_stats(sys.argv[2])
after = resource.getrusage(resource.RUSAGE_SELF)
rss = int(open("/proc/self/statm").read().split()[1]) * 4096
print("RESULT " + json.dumps({"cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
      "wall": time.perf_counter() - w0, "loaded": count, "root": root is not None, "rss": rss,
      "maxrss": after.ru_maxrss * 1024}))
"""


def log(msg: str) -> None:
    print(f"[pending] {msg}", file=sys.stderr, flush=True)


def _root_committed(jobs_dir: Path, root_id: Optional[str]) -> bool:
    if root_id is None:
        return False
    try:
        with open(jobs_dir / root_id[-2:] / root_id, "rb") as handle:
            head = handle.read()
    except FileNotFoundError:
        return False
    return b'"body_id":null' in head


def build(python: str, store_dir: Path, jobs: int, timeout: float) -> Dict[str, Any]:
    """Run the fan-out until its root's commit is stored, then SIGKILL it; returns counts."""
    locator = "file:" + str(store_dir)
    cmd = [python, str(BENCH / "wf_fanout.py"), locator, "--logLevel=WARNING", f"--benchChildren={jobs}",
           "--clean=never"]
    log("building: " + " ".join(cmd))
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    root_id = None
    try:
        while time.perf_counter() - start < timeout:
            if proc.poll() is not None:
                raise SystemExit(f"the fan-out exited ({proc.returncode}) before it was killed: "
                                 + proc.stderr.read().decode()[-2000:])
            if root_id is None:
                try:
                    root_id = (store_dir / "shared" / "rootJobStoreID").read_text().strip() or None
                except (FileNotFoundError, NotADirectoryError):
                    root_id = _find_root_id(store_dir)
            if _root_committed(store_dir / "jobs", root_id):
                break
            time.sleep(0.2)
        else:
            raise SystemExit(f"the root job did not commit within {timeout:.0f} s")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    stored = sum(len(os.listdir(store_dir / "jobs" / fan)) for fan in os.listdir(store_dir / "jobs"))
    log(f"killed after {time.perf_counter() - start:.1f} s: {stored} jobs stored")
    return {"jobs": jobs, "stored": stored, "build_seconds": round(time.perf_counter() - start, 1)}


def _find_root_id(store_dir: Path) -> Optional[str]:
    """The root job's ID through the store's own API (its layout of shared files is its own)."""
    from toil_core.cli._common import make_store

    try:
        store = make_store("file:" + str(store_dir))
        store.resume()
        return store.root_job_id()
    except Exception:
        return None


def _measure(cmd: List[str]) -> Dict[str, Any]:
    """Run ``cmd``; its CPU (user + system, from RUSAGE_CHILDREN) and wall seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed ({proc.returncode}): {proc.stderr[-3000:]}")
    result: Dict[str, Any] = {"cpu": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 3),
                              "wall": round(wall, 3), "maxrss": after.ru_maxrss * 1024}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result["inner"] = json.loads(line[len("RESULT "):])
        elif line.startswith("Of the "):
            result["summary"] = line
    return result


def drop_caches() -> None:
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as handle:
        handle.write("3\n")


def measure(python: str, jobs: int, rounds: int, keep: Optional[str] = None, profile: Optional[str] = None,
            cold: bool = False, timeout: float = 6 * 3600) -> Dict[str, Any]:
    """Build (or reuse, with ``keep``) a store of ``jobs`` pending jobs and measure ``rounds``
    rounds of ``toil status`` and the restart's load on it; the results as a dict."""
    tmp = None
    if keep:
        store_dir = Path(keep)
    else:
        tmp = tempfile.mkdtemp(prefix="toil-pending-")
        store_dir = Path(tmp) / "store"
    results: Dict[str, Any] = {"jobs": jobs, "cold": cold, "status": [], "restart": []}
    try:
        if not (store_dir / "jobs").is_dir():
            results.update(build(python, store_dir, jobs, timeout))
        else:
            log(f"reusing the store in {store_dir}")
        locator = "file:" + str(store_dir)
        toil = str(Path(python).parent / "toil")
        for i in range(rounds):
            first = profile and i == 0
            if cold:
                drop_caches()
            status_cmd = [toil, "status", locator]
            if first:
                Path(profile).mkdir(parents=True, exist_ok=True)  # type: ignore[arg-type]
                status_cmd = [python, "-m", "cProfile", "-o", str(Path(profile) / "status.prof"),  # type: ignore[arg-type]
                              toil, "status", locator]
            status = _measure(status_cmd)
            results["status"].append(status)
            log(f"round {i + 1}: toil status: CPU {status['cpu']:.2f} s, wall {status['wall']:.2f} s, "
                f"max RSS {status['maxrss'] / 2**20:.0f} MiB; {status.get('summary', '')[:90]}")
            if cold:
                drop_caches()
            restart_cmd = [python, "-c", RESTART_LOAD, locator]
            if first:
                restart_cmd.append(str(Path(profile) / "restart.prof"))  # type: ignore[arg-type]
            restart = _measure(restart_cmd)
            results["restart"].append(restart)
            inner = restart.get("inner", {})
            log(f"round {i + 1}: restart load: CPU {inner.get('cpu', 0):.2f} s (process {restart['cpu']:.2f} s), "
                f"wall {inner.get('wall', 0):.2f} s, {inner.get('loaded')} descriptions handed to the leader, "
                f"RSS after {inner.get('rss', 0) / 2**20:.0f} MiB")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return results


def print_pending(results: Dict[str, Any]) -> None:
    """The figures of :func:`measure` as lines of text (bench/run.py's report)."""
    jobs = results["jobs"]
    print(f"pending jobs: {jobs} ({'cold' if results.get('cold') else 'warm'} page cache; goal at 1,000,000: "
          f"each under 30 s wall on a quiet machine)")
    for i, (status, restart) in enumerate(zip(results["status"], results["restart"])):
        inner = restart.get("inner", {})
        print(f"  round {i + 1}: toil status CPU {status['cpu']:.2f} s wall {status['wall']:.2f} s "
              f"({1e6 * status['cpu'] / jobs:.1f} us CPU per job); restart load CPU {inner.get('cpu', 0):.2f} s "
              f"(+ helper: process tree {restart['cpu']:.2f} s) wall {inner.get('wall', 0):.2f} s, "
              f"RSS after {inner.get('rss', 0) / jobs:.0f} B per pending job")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--keep", default=None, help="keep (or reuse, if it holds a store) the store here")
    parser.add_argument("--profile", default=None, help="write cProfile files of both phases to this directory")
    parser.add_argument("--cold", action="store_true", help="drop the page cache before each measurement (root)")
    parser.add_argument("--timeout", type=float, default=6 * 3600)
    parser.add_argument("--json", default=None, help="also write the results to this file")
    options = parser.parse_args(argv)
    results = measure(options.python, options.jobs, options.rounds, options.keep, options.profile, options.cold,
                      options.timeout)
    print(json.dumps(results))
    if options.json:
        Path(options.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
