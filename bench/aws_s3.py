"""The fan-out and files benchmarks on an ``aws:`` job store against a local S3 server, beside the
same workflows on a ``file:`` job store, with the S3 requests per job.

    .venv/bin/python bench/aws_s3.py [--children 100] [--files 20] [--readers 3] [--rounds 3] [--phases]
    .venv/bin/python bench/run.py --cases aws          # the same through the runner (1000 children)

Starts moto's S3 server on loopback (installed by ``python3 dev.py setup``), runs each workflow
once per job store per round (one process each, wall clock around it, as bench/run.py does; the
rounds alternate file, aws, file, aws... and the figures are medians), and counts the requests
the server answered during each run from its access log, so the leader's, the workers' and the
clean-up's requests all count. Besides wall time it reports CPU time (user + system), which load
on the machine does not change: of the workflow (leader, fork server and workers: the children
this process waited for) and, for the aws runs, of the S3 server too (moto is CPU bound; a real
S3 costs the client nothing of it). Prints one line per case and the aws/file ratios.
"""
from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Tuple

BENCH = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _requests(log: Path) -> int:
    """Requests the server logged so far (one werkzeug access line each)."""
    return sum(1 for line in log.read_text(errors="replace").splitlines() if '" 2' in line or '" 3' in line
               or '" 4' in line or '" 5' in line)


#: Phases of a job's life, recognised by the Toil functions on the stack of an S3 call (first match).
PHASES: List[Tuple[str, Tuple[str, ...]]] = [
    ("logs/stats", ("write_logs", "read_logs")),
    ("worker: discard attempt files", ("discard_attempt_files",)),
    ("worker: commit (new jobs, value, finish)", ("_commit", "put_batched_job")),
    ("worker: read job", ("_run_chain", "chain_target", "load_job_body")),
    ("worker: other", ("_run_one", "run_worker", "load_user_module", "_emulate_leader_environment")),
    ("leader: reads made together (successors, read-backs)", ("load_one_of_many",)),
    ("leader: read back after exit", ("_on_update",)),
    ("leader: read successors", ("_advance", "_get")),
    ("leader: delete finished", ("_done",)),
    ("leader: promises, return value", ("resolve", "load_return_value", "_load_root_return_value")),
    ("store: open / create / destroy", ("initialize", "resume", "destroy", "_create_bucket", "open_job_store",
                                        "_open_job_store")),
]


def phase_of(caller: str) -> str:
    names = caller.split("<")
    for phase, markers in PHASES:
        if any(name in markers for name in names):
            return phase
    return "other: " + "<".join(names[:3])


def breakdown(trace: Path) -> Counter:
    """S3 API calls per (phase, operation) from a TOIL_AWS_REQUEST_LOG file."""
    counts: Counter = Counter()
    if not trace.exists():
        return counts
    for line in trace.read_text(errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) >= 4:
            counts[(phase_of(parts[3]), parts[1])] += 1
    return counts


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _run(script: str, store: str, args: List[str], env: Dict[str, str]) -> Tuple[float, float]:
    """Run one workflow; its wall seconds and the CPU seconds of its process tree."""
    cpu = _children_cpu()
    began = time.perf_counter()
    proc = subprocess.run([sys.executable, str(BENCH / script), store, "--logLevel=WARNING", *args], env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if proc.returncode != 0:
        raise SystemExit(f"{script} on {store} failed:\n{proc.stderr[-4000:]}")
    return seconds, _children_cpu() - cpu


def measure(children: int = 100, files: int = 20, readers: int = 3, rounds: int = 1,
            phases: bool = False) -> Dict[str, Dict[str, float]]:
    """Run the cases; per case the medians (wall and CPU seconds, S3 requests per job)."""
    work = Path(tempfile.mkdtemp(prefix="toil-bench-aws-"))
    port = _free_port()
    log = work / "moto.log"
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}")
    for name in ("TOIL_S3_HOST", "TOIL_S3_PORT", "TOIL_S3_USE_SSL"):
        env.pop(name, None)
    with open(log, "wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                  stdout=out, stderr=subprocess.STDOUT, env=env)
    results: Dict[str, Dict[str, float]] = {}
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        cases = [("fanout", "wf_fanout.py", [f"--benchChildren={children}"], children + 1),
                 ("files", "wf_files.py", [f"--benchFiles={files}", f"--benchReaders={readers}",
                                           "--benchFileMB=1"], readers + 1)]
        summary: List[str] = []
        for name, script, args, jobs in cases:
            runs: Dict[str, List[float]] = {k: [] for k in ("file_wall", "file_cpu", "aws_wall", "aws_cpu",
                                                            "moto_cpu", "requests")}
            for round_ in range(rounds):
                wall, cpu = _run(script, f"file:{work / f'{name}-store-{round_}'}", args, env)
                runs["file_wall"].append(wall)
                runs["file_cpu"].append(cpu)
                before = _requests(log)
                moto_before = _process_cpu(server.pid)
                trace = work / f"{name}-requests-{round_}.tsv"
                wall, cpu = _run(script, f"aws:us-east-1:bench-{uuid.uuid4().hex[:12]}", args,
                                 dict(env, TOIL_AWS_REQUEST_LOG=str(trace)) if phases and round_ == 0 else env)
                runs["moto_cpu"].append(_process_cpu(server.pid) - moto_before)
                runs["aws_wall"].append(wall)
                runs["aws_cpu"].append(cpu)
                runs["requests"].append((_requests(log) - before) / jobs)
            got = {key: statistics.median(values) for key, values in runs.items()}
            got["jobs"] = jobs
            results[name] = got
            summary.append(
                f"{name}: {jobs} jobs; S3 requests {got['requests']:.2f} per job; wall file {got['file_wall']:.1f} s, "
                f"aws {got['aws_wall']:.1f} s ({got['aws_wall'] / got['file_wall']:.2f}x); CPU file "
                f"{got['file_cpu']:.1f} s, aws {got['aws_cpu']:.1f} s + S3 server {got['moto_cpu']:.1f} s "
                f"({got['aws_cpu'] / got['file_cpu']:.2f}x without the server, "
                f"{(got['aws_cpu'] + got['moto_cpu']) / got['file_cpu']:.2f}x with it)"
                + (f"; medians of {rounds} rounds" if rounds > 1 else ""))
            print(summary[-1], flush=True)
            if phases:
                counts = breakdown(work / f"{name}-requests-0.tsv")
                for (phase, operation), count in sorted(counts.items(), key=lambda item: (item[0][0], -item[1])):
                    print(f"    {phase:<45} {operation:<22} {count:>6} {count / jobs:>6.2f}/job")
                print(f"    {'API calls (before retries)':<68} {sum(counts.values()):>6}")
        if phases:
            print("\n".join(summary))
    finally:
        server.terminate()
        server.wait()
    return results


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=1, help="alternating file/aws rounds (medians)")
    parser.add_argument("--phases", action="store_true",
                        help="also print the S3 calls per phase of a job's life (TOIL_AWS_REQUEST_LOG)")
    options = parser.parse_args(argv)
    measure(options.children, options.files, options.readers, max(1, options.rounds), options.phases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
