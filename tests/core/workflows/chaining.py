"""Chains of jobs that the worker may run in one process.

``python chaining.py JOBSTORE --out DIR --mode followons|children|bigger|two_children [toil options]``
Every job appends "ran NAME PID" to DIR/events.log.
"""
import os

from toil.common import Toil
from toil.job import Job


def record(out, *fields):
    with open(os.path.join(out, "events.log"), "a") as handle:
        handle.write(" ".join(str(f) for f in fields) + "\n")


def link(job, out, name):
    record(out, "ran", name, os.getpid())
    return name


def chain_of_followons(out, length, memory):
    first = Job.wrapJobFn(link, out, "j0", memory=memory)
    job = first
    for i in range(1, length):
        job = job.addFollowOnJobFn(link, out, "j%d" % i, memory=memory)
    return first


def dynamic_children(job, out, depth):
    record(out, "ran", "c%d" % depth, os.getpid())
    if depth < 3:
        job.addChildJobFn(dynamic_children, out, depth + 1, memory="100M")


def bigger(out):
    # j2 needs more memory than j1, so it is not chained; j3 fits in j2's worker again.
    first = Job.wrapJobFn(link, out, "j0", memory="100M")
    j1 = first.addFollowOnJobFn(link, out, "j1", memory="100M")
    j2 = j1.addFollowOnJobFn(link, out, "j2", memory="200M")
    j2.addFollowOnJobFn(link, out, "j3", memory="200M")
    return first


def flaky(job, out, name, how):
    record(out, "ran", name, os.getpid())
    marker = os.path.join(out, name + ".failed-once")
    if not os.path.exists(marker):
        open(marker, "w").close()
        if how == "raise":
            raise RuntimeError("failing the first try of " + name)
        os.kill(os.getpid(), 9)  # the worker dies without recording anything
    return name


def failing_chain(out, how):
    first = Job.wrapJobFn(link, out, "j0", memory="100M")
    j1 = first.addFollowOnJobFn(link, out, "j1", memory="100M")
    j2 = j1.addFollowOnJobFn(flaky, out, "j2", how, memory="100M")
    j2.addFollowOnJobFn(link, out, "j3", memory="100M")
    return first


def two_children(out):
    # A job with two children cannot chain to either; each child chains to its own follow-on.
    root = Job.wrapJobFn(link, out, "root", memory="100M")
    for name in ("a", "b"):
        child = root.addChildJobFn(link, out, name, memory="100M")
        child.addFollowOnJobFn(link, out, name + "_followon", memory="100M")
    return root


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--mode", required=True)
    options = parser.parse_args()
    out = os.path.abspath(options.out)
    if options.mode == "followons":
        root = chain_of_followons(out, 5, "100M")
    elif options.mode == "children":
        root = Job.wrapJobFn(dynamic_children, out, 0, memory="100M")
    elif options.mode == "bigger":
        root = bigger(out)
    elif options.mode in ("raise_in_chain", "die_in_chain"):
        root = failing_chain(out, options.mode.split("_")[0])
    elif options.mode == "two_children":
        root = two_children(out)
    else:
        raise SystemExit("unknown mode " + options.mode)
    with Toil(options) as toil:
        toil.start(root)
    print("RESULT: done")
