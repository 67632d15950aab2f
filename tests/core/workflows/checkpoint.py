"""A checkpoint job whose child fails completely during the checkpoint's first run.

``python checkpoint.py JOBSTORE --out DIR [toil options]``
The checkpoint ``cp`` appends "start cp" to DIR/events.log each time its body runs; its child
``child`` fails (every try) while the checkpoint has run only once, and succeeds afterwards
(unless DIR/always-fail exists).
"""
import os

from toil.common import Toil
from toil.job import Job


def record(out, *fields):
    with open(os.path.join(out, "events.log"), "a") as handle:
        handle.write(" ".join(str(f) for f in fields) + "\n")


def count(out, kind, name):
    with open(os.path.join(out, "events.log")) as handle:
        return sum(1 for line in handle if line.split()[:2] == [kind, name])


def child(job, out):
    record(out, "start", "child")
    if count(out, "start", "cp") < 2 or os.path.exists(os.path.join(out, "always-fail")):
        raise RuntimeError("child fails during the checkpoint's first run")
    record(out, "end", "child")
    return "child-ok"


def cp(job, out):
    record(out, "start", "cp")
    job.addFollowOnJobFn(leaf, out, "cp_followon")
    return job.addChildJobFn(child, out).rv()


def leaf(job, out, name, value=None):
    record(out, "start", name)
    return value


def root(job, out):
    record(out, "start", "root")
    c = job.addChildJobFn(cp, out, checkpoint=True)
    job.addChildJobFn(leaf, out, "sibling")
    return job.addFollowOnJobFn(leaf, out, "after", c.rv()).rv()


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--out", required=True)
    options = parser.parse_args()
    out = os.path.abspath(options.out)
    with Toil(options) as toil:
        if toil.options.restart:
            result = toil.restart()
        else:
            result = toil.start(Job.wrapJobFn(root, out))
    print("RESULT: %s" % (result,))
