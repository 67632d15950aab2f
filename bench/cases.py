"""Benchmark cases and how one case is run and measured (used by bench/run.py).

Every case is a real Toil workflow script (bench/wf_*.py, public Toil API only) started as a subprocess
with its own session; the wall clock around that subprocess is the case's time (interpreter start,
imports, job store creation, scheduling, workers, promise resolution and clean-up all included).

The subprocess is the workflow's leader (Toil runs the leader in the process that calls toil.start), so
while it runs a thread samples that one pid's RSS and CPU time every 50 ms: the fork server, the workers
and anything they start are other processes and are not counted.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

BENCH = Path(__file__).resolve().parent
UPSTREAM_VENV = BENCH / ".upstream-venv"
UPSTREAM_REQUIREMENTS = ["toil==5.10.0", "setuptools<70"]  # toil 5.10 imports distutils/pkg_resources
SAMPLE_INTERVAL = 0.05
#: Byte-code cache of every benchmarked interpreter.  Runs write .pyc files there even when the calling
#: environment sets PYTHONDONTWRITEBYTECODE: otherwise an editable install recompiles every module in
#: every run (and a forked job every module it imports lazily) while a pip-installed upstream has its
#: .pyc files from installation, which would skew the comparison.
PYCACHE = BENCH / ".pycache"

# Upstream Toil 5.10, 2-core machine, single_machine + file job store, full scale (cases a-d).
REFERENCE_SECONDS = {"a": 197.0, "b": 3.1, "c": 615.0, "d": 7.1}


def _fanout(n_full: int, n_small: int, title: str, upstream: str) -> Dict[str, Any]:
    return {
        "title": title + ": root + {n} trivial children",
        "script": "wf_fanout.py",
        "params": {"full": {"n": n_full}, "small": {"n": n_small}},
        "args": lambda p: [f"--benchChildren={p['n']}"],
        "jobs": lambda p: p["n"] + 1,
        "upstream": upstream,
    }


def _bench_key() -> str:
    """A 32-character key file for the encrypted case (made once, kept beside the benchmarks)."""
    path = BENCH / ".bench-sse.key"
    if not path.exists():
        path.write_text(os.urandom(16).hex() + "\n")
    return str(path)


# "upstream": "always" (run with --upstream), "large" (only with --upstream-large) or "never".
CASES: Dict[str, Dict[str, Any]] = {
    "a": dict(_fanout(1000, 100, "fan-out", "always"), name="fanout"),
    "b": {
        "name": "chain",
        "title": "chain of {n} follow-ons passing promises",
        "script": "wf_chain.py",
        "params": {"full": {"n": 200}, "small": {"n": 20}},
        "args": lambda p: [f"--benchLength={p['n']}"],
        "jobs": lambda p: p["n"] + 2,
        "upstream": "always",
    },
    "c": {
        "name": "tree",
        "title": "binaryStrings tree, depth {depth}",
        "script": "wf_tree.py",
        "params": {"full": {"depth": 10}, "small": {"depth": 5}},
        "args": lambda p: [f"--benchDepth={p['depth']}"],
        "jobs": lambda p: (2 ** (p["depth"] + 1) - 1) + (2 ** p["depth"] - 1),
        "upstream": "always",
    },
    "d": {
        "name": "files",
        "title": "{files} x 1 MB files, read by {readers} children",
        "script": "wf_files.py",
        "params": {"full": {"files": 200, "readers": 10}, "small": {"files": 20, "readers": 3}},
        "args": lambda p: [f"--benchFiles={p['files']}", f"--benchReaders={p['readers']}", "--benchFileMB=1"],
        "jobs": lambda p: 1 + p["readers"],
        "megabytes": lambda p: p["files"] * (1 + p["readers"]),  # written once + read by every reader
        "upstream": "always",
    },
    # (d) with the job store encrypted (--sseKey, toil-core[encryption]); compare its MB/s with (d)'s.
    "denc": {
        "name": "files-encrypted",
        "title": "{files} x 1 MB files, read by {readers} children, encrypted job store",
        "script": "wf_files.py",
        "params": {"full": {"files": 200, "readers": 10}, "small": {"files": 20, "readers": 3}},
        "args": lambda p: [f"--benchFiles={p['files']}", f"--benchReaders={p['readers']}", "--benchFileMB=1",
                           f"--sseKey={_bench_key()}"],
        "jobs": lambda p: 1 + p["readers"],
        "megabytes": lambda p: p["files"] * (1 + p["readers"]),
        "upstream": "never",  # upstream's file job store cannot encrypt
    },
    # (e): the small/large pair of big fan-outs; --quick shrinks them (and skips 100,000).
    "e10k": dict(_fanout(10_000, 1000, "big fan-out", "large"), name="fanout10k"),
    "e100k": dict(_fanout(100_000, 5000, "big fan-out", "never"), name="fanout100k"),
    # (e1m): the million-job fan-out, opt-in (hours on a busy 2-core machine; never in "all"):
    # leader CPU per job against (e10k)'s and the leader's bytes per pending job at 1,000,000.
    "e1m": dict(_fanout(1_000_000, 20_000, "million-job fan-out", "never"), name="fanout1m"),
    "f": {
        "name": "commands",
        "title": "{n} independent small command jobs (CWL-style)",
        "script": "wf_commands.py",
        "params": {"full": {"n": 500}, "small": {"n": 50}},
        "args": lambda p: [f"--benchCommands={p['n']}"],
        "jobs": lambda p: p["n"] + 2,
        "upstream": "always",
    },
    # (s): small files through the file store against plain Python on the same disk, in one job; the
    # result is the ratio printed by the script (report.SMALL_FILES_GOAL), not the wall clock.
    "s": {
        "name": "smallfiles",
        "title": "{files} files of 1-4 KiB vs plain Python, one job",
        "script": "wf_smallfiles.py",
        "params": {"full": {"files": 2000}, "small": {"files": 300}},
        "args": lambda p: [f"--benchFiles={p['files']}"],
        "jobs": lambda p: 1,
        "upstream": "never",  # the ratio is against plain Python, measured in the same job
    },
    # (sj): issue 24's small-files workload, whole workflow, against upstream.
    "sj": {
        "name": "smallfiles-jobs",
        "title": "{writers} jobs writing {files} files of 1 KiB each, one job reading all",
        "script": "wf_smallfiles_jobs.py",
        "params": {"full": {"writers": 20, "files": 100}, "small": {"writers": 4, "files": 25}},
        "args": lambda p: [f"--benchWriters={p['writers']}", f"--benchFiles={p['files']}"],
        "jobs": lambda p: p["writers"] + 2,
        "upstream": "always",
    },
    # (s) with the caching file store.
    "scache": {
        "name": "smallfiles-caching",
        "title": "{files} files of 1-4 KiB vs plain Python, one job, caching file store",
        "script": "wf_smallfiles.py",
        "params": {"full": {"files": 2000}, "small": {"files": 300}},
        "args": lambda p: [f"--benchFiles={p['files']}", "--caching=true"],
        "jobs": lambda p: 1,
        "upstream": "never",
    },
}
ALIASES = {c["name"]: k for k, c in CASES.items()}


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------- sampling
def _proc_reader(pid: int) -> Callable[[], Tuple[int, float]]:
    """A function returning (RSS bytes, user+system CPU seconds) of one process (psutil or /proc)."""
    try:
        import psutil

        process = psutil.Process(pid)

        def read() -> Tuple[int, float]:
            with process.oneshot():
                cpu = process.cpu_times()
                return process.memory_info().rss, cpu.user + cpu.system
        return read
    except ImportError:
        page, ticks = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_CLK_TCK")

        def read_proc() -> Tuple[int, float]:
            with open(f"/proc/{pid}/statm") as handle:
                rss = int(handle.read().split()[1]) * page
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            return rss, (int(fields[11]) + int(fields[12])) / ticks
        return read_proc


class LeaderSampler(threading.Thread):
    """Samples one pid's RSS and CPU every SAMPLE_INTERVAL seconds until stopped or gone."""

    def __init__(self, pid: int, interval: float = SAMPLE_INTERVAL) -> None:
        super().__init__(name="leader-sampler", daemon=True)
        self.pid, self.interval = pid, interval
        self.stopped = threading.Event()
        self.samples = 0
        self.first_rss = self.peak_rss = self.last_rss = 0
        self.peak_at = 0.0
        self.cpu = 0.0
        self.start_time = time.perf_counter()
        self.timeline: List[Tuple[float, int]] = []  # (seconds, rss) about once a second

    def run(self) -> None:
        try:
            read = _proc_reader(self.pid)
        except Exception:  # the process is already gone
            return
        next_mark = 0.0
        while not self.stopped.is_set():
            try:
                rss, cpu = read()
            except Exception:  # exited (or a zombie without memory)
                break
            if rss > 0:
                now = time.perf_counter() - self.start_time
                self.samples += 1
                self.first_rss = self.first_rss or rss
                self.last_rss, self.cpu = rss, cpu
                if rss > self.peak_rss:
                    self.peak_rss, self.peak_at = rss, now
                if now >= next_mark:
                    self.timeline.append((round(now, 2), rss))
                    next_mark = now + 1.0
            self.stopped.wait(self.interval)

    def summary(self) -> Dict[str, Any]:
        return {"samples": self.samples, "first_rss": self.first_rss, "peak_rss": self.peak_rss,
                "peak_at": round(self.peak_at, 2), "last_rss": self.last_rss, "cpu": round(self.cpu, 3),
                "timeline": self.timeline}


# ------------------------------------------------------------------------------------------- runs
def bench_env() -> Dict[str, str]:
    """The environment of every benchmarked interpreter (see :data:`PYCACHE`)."""
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONPROFILEIMPORTTIME", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)  # the interpreter's own environment decides which engine is imported
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def run_case(python: str, key: str, scale: str, timeout: float, label: str, keep_logs: bool,
             profile_dir: Optional[Path] = None) -> Dict[str, Any]:
    """Run one case once under ``python``; returns its measurements (``ok`` says if it succeeded)."""
    case = CASES[key]
    params = case["params"][scale]
    tmp = tempfile.mkdtemp(prefix=f"toil-bench-{case['name']}-")
    store = "file:" + os.path.join(tmp, "store")
    cmd = [python, str(BENCH / case["script"]), store, "--logLevel=WARNING"] + case["args"](params)
    env = bench_env()
    # As if the venv were activated: upstream Toil's single_machine batch system runs `_toil_worker` by name.
    bindir = os.path.dirname(os.path.abspath(python))
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = os.path.dirname(bindir)
    if profile_dir is not None:  # cProfile of the leader, plus one per job from the fork server
        workers = profile_dir / f"{key}-workers"
        workers.mkdir(parents=True, exist_ok=True)
        env["TOIL_PROFILE_WORKERS_DIR"] = str(workers)
        cmd[1:1] = [str(BENCH / "profile_leader.py"), str(profile_dir / f"{key}-leader.prof")]
    log(f"{label}: case {key} ({case['name']}): " + " ".join(cmd))
    # CPU of the whole process tree (leader, fork server, jobs): the figure a loaded machine
    # does not change; 2 * jobs / cpu_seconds bounds the rate 2 quiet cores can reach.
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
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
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the workflow's own process group (leader + workers)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
    seconds = time.perf_counter() - start
    usage_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = (usage_after.ru_utime - usage_before.ru_utime) + (usage_after.ru_stime - usage_before.ru_stime)
    sampler.stopped.set()
    sampler.join(timeout=5)
    report: Dict[str, Any] = {}
    for line in out.splitlines():
        if line.startswith("BENCH-RESULT "):
            try:
                report = json.loads(line[len("BENCH-RESULT "):])
            except ValueError:
                pass
    ok = (not timed_out) and proc.returncode == 0 and bool(report.get("ok"))
    result: Dict[str, Any] = {
        "case": key, "name": case["name"], "title": case["title"].format(**params), "params": params,
        "jobs": case["jobs"](params), "seconds": round(seconds, 3), "ok": ok,
        "returncode": proc.returncode, "timed_out": timed_out, "leader": sampler.summary(),
        "cpu_seconds": round(cpu_seconds, 3),
        "report": report,
    }
    if "megabytes" in case:
        result["megabytes"] = case["megabytes"](params)
    if ok:
        result["jobs_per_second"] = round(result["jobs"] / seconds, 2)
        result["cpu_ms_per_job"] = round(1000 * cpu_seconds / result["jobs"], 3)
        if "megabytes" in result:
            result["megabytes_per_second"] = round(result["megabytes"] / seconds, 2)
        log(f"{label}: case {key} done in {seconds:.2f} s (leader peak RSS "
            f"{sampler.peak_rss / 2**20:.1f} MiB, leader CPU {sampler.cpu:.1f} s, CPU of all its "
            f"processes {cpu_seconds:.2f} s = {result['cpu_ms_per_job']:.2f} ms per job)")
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


def run_best(python: str, key: str, scale: str, timeout: float, label: str, keep_logs: bool,
             repeat: int, profile_dir: Optional[Path] = None) -> Dict[str, Any]:
    """Run a case ``repeat`` times; the fastest successful run, with every run's time in ``runs``."""
    runs = [run_case(python, key, scale, timeout, label if repeat == 1 else f"{label} #{i + 1}",
                     keep_logs, profile_dir if i == 0 else None) for i in range(repeat)]
    good = [r for r in runs if r["ok"]]
    best = dict(min(good, key=lambda r: r["seconds"]) if good else runs[-1])
    best["runs"] = [r["seconds"] if r["ok"] else None for r in runs]
    return best


# ------------------------------------------------------------------------------------ environments
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
