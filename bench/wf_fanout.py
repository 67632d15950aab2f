"""Benchmark case (a): fan-out.

A root job adds N trivial children (Job.wrapJobFn of a function returning a constant) and returns their
promises; the script checks that every child ran.  Valid upstream Toil 5.10 script (public API only).
Also used for case (e) (10,000 and 100,000 children): the result line then carries this process's
(the leader's) RSS just before toil.start(), its peak RSS (ru_maxrss) and its CPU seconds.

    python bench/wf_fanout.py file:/tmp/store --logLevel=WARNING --benchChildren 1000
"""
import json
import os
import resource

from toil.common import Toil
from toil.job import Job

# Every job requests the same resources as the reference run.
REQ = {"cores": 1, "memory": "100M", "disk": "100M"}


def constant(job):
    return 1


def fanout(job, n):
    promises = []
    for _ in range(n):
        child = Job.wrapJobFn(constant, **REQ)
        job.addChild(child)
        promises.append(child.rv())
    return promises


def rss_bytes():
    """This process's resident set size now (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def main():
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--benchChildren", type=int, default=1000, help="number of children")
    options = parser.parse_args()
    options.clean = "always"
    n = options.benchChildren
    baseline = rss_bytes()
    with Toil(options) as toil:
        result = toil.start(Job.wrapJobFn(fanout, n, **REQ))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    ok = len(result) == n and sum(result) == n
    print("BENCH-RESULT " + json.dumps({
        "case": "fanout", "jobs": n + 1, "ok": ok, "pid": os.getpid(), "baseline_rss": baseline,
        "maxrss": usage.ru_maxrss * 1024, "leader_cpu": round(usage.ru_utime + usage.ru_stime, 3)}),
        flush=True)
    if not ok:
        raise SystemExit(f"fan-out check failed: {len(result)} results, sum {sum(result)}, expected {n}")


if __name__ == "__main__":
    main()
