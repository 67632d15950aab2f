"""Benchmark case (c): the dynamic binary tree with promises.

The manual's tutorial_promises2 example (chapter 12.9, "binaryStrings"): a job spawns two children for the
'0'/'1'-extended strings until the depth is reached, and a follow-on that merges their rv()s.  At depth D
that is 2**(D+1) - 1 binaryStrings jobs plus 2**D - 1 merge jobs (3070 at depth 10).  The result must be
all 2**D binary strings of length D.  Valid upstream Toil 5.10 script.

    python bench/wf_tree.py file:/tmp/store --logLevel=WARNING --benchDepth 10
"""
import json

from toil.common import Toil
from toil.job import Job

REQ = {"cores": 1, "memory": "100M", "disk": "100M"}


def binaryStrings(job, depth, message=""):
    if depth > 0:
        s = [job.addChildJobFn(binaryStrings, depth - 1, message + "0", **REQ).rv(),
             job.addChildJobFn(binaryStrings, depth - 1, message + "1", **REQ).rv()]
        return job.addFollowOnFn(merge, s, **REQ).rv()
    return [message]


def merge(strings):
    return strings[0] + strings[1]


def main():
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--benchDepth", type=int, default=10, help="depth of the tree")
    options = parser.parse_args()
    options.clean = "always"
    depth = options.benchDepth
    with Toil(options) as toil:
        result = toil.start(Job.wrapJobFn(binaryStrings, depth=depth, **REQ))
    expected = sorted(format(i, f"0{depth}b") if depth else "" for i in range(2 ** depth))
    ok = isinstance(result, list) and len(result) == 2 ** depth and sorted(result) == expected
    jobs = (2 ** (depth + 1) - 1) + (2 ** depth - 1)
    print("BENCH-RESULT " + json.dumps({"case": "tree", "jobs": jobs, "ok": ok, "strings": len(result)}),
          flush=True)
    if not ok:
        raise SystemExit(f"tree check failed: got {len(result)} strings, expected {2 ** depth}")


if __name__ == "__main__":
    main()
