"""Benchmark case (a): fan-out.

A root job adds N trivial children (Job.wrapJobFn of a function returning a constant) and returns their
promises; the script checks that every child ran.  Valid upstream Toil 5.10 script (public API only).

    python bench/wf_fanout.py file:/tmp/store --logLevel=WARNING --benchChildren 1000
"""
import json

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


def main():
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--benchChildren", type=int, default=1000, help="number of children")
    options = parser.parse_args()
    options.clean = "always"
    n = options.benchChildren
    with Toil(options) as toil:
        result = toil.start(Job.wrapJobFn(fanout, n, **REQ))
    ok = len(result) == n and sum(result) == n
    print("BENCH-RESULT " + json.dumps({"case": "fanout", "jobs": n + 1, "ok": ok}), flush=True)
    if not ok:
        raise SystemExit(f"fan-out check failed: {len(result)} results, sum {sum(result)}, expected {n}")


if __name__ == "__main__":
    main()
