"""Benchmark case (b): a chain of N follow-ons passing a promise.

The root job adds a seed child returning 0 and hangs a chain of N follow-ons below it: each job in the
chain gets a follow-on that receives that job's rv() and returns value + 1.  The root returns the last
job's promise, so the workflow's result must be exactly N.  Valid upstream Toil 5.10 script.

    python bench/wf_chain.py file:/tmp/store --logLevel=WARNING --benchLength 200
"""
import json

from toil.common import Toil
from toil.job import Job

REQ = {"cores": 1, "memory": "100M", "disk": "100M"}


def seed(job):
    return 0


def increment(job, value):
    return value + 1


def chain(job, n):
    previous = Job.wrapJobFn(seed, **REQ)
    job.addChild(previous)
    for _ in range(n):
        previous = previous.addFollowOnJobFn(increment, previous.rv(), **REQ)
    return previous.rv()


def main():
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--benchLength", type=int, default=200, help="number of follow-ons in the chain")
    options = parser.parse_args()
    options.clean = "always"
    n = options.benchLength
    with Toil(options) as toil:
        result = toil.start(Job.wrapJobFn(chain, n, **REQ))
    ok = result == n
    # root + seed + n follow-ons
    print("BENCH-RESULT " + json.dumps({"case": "chain", "jobs": n + 2, "ok": ok, "result": result}),
          flush=True)
    if not ok:
        raise SystemExit(f"chain check failed: result {result!r}, expected {n}")


if __name__ == "__main__":
    main()
