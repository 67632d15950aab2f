"""Job ordering: children after parents and in parallel, follow-ons after whole subtrees, joins.

``python ordering.py JOBSTORE --out DIR --mode parallel|subtree|diamond|diamond_dynamic [toil options]``
Every job appends "start NAME" / "end NAME" lines to DIR/events.log.
"""
import os
import time

from toil.common import Toil
from toil.job import Job


def record(out, *fields):
    with open(os.path.join(out, "events.log"), "a") as handle:
        handle.write(" ".join(str(f) for f in fields) + "\n")


def step(job, out, name, sleep=0.0):
    record(out, "start", name, os.getpid())
    time.sleep(sleep)
    record(out, "end", name, os.getpid())
    return name


# -- parallel: two children that can only finish if they run at the same time
def waiter(job, out, me, other, timeout):
    record(out, "start", me, os.getpid())
    open(os.path.join(out, me + ".marker"), "w").close()
    deadline = time.time() + timeout
    while not os.path.exists(os.path.join(out, other + ".marker")):
        if time.time() > deadline:
            raise RuntimeError("%s timed out waiting for %s" % (me, other))
        time.sleep(0.05)
    record(out, "end", me, os.getpid())
    return me


def parallel_root(job, out):
    record(out, "start", "root", os.getpid())
    a = job.addChildJobFn(waiter, out, "left", "right", 15, cores=1)
    b = job.addChildJobFn(waiter, out, "right", "left", 15, cores=1)
    record(out, "end", "root", os.getpid())
    return job.addFollowOnJobFn(join_values, out, "after", [a.rv(), b.rv()]).rv()


def join_values(job, out, name, values):
    record(out, "start", name, os.getpid())
    record(out, "end", name, os.getpid())
    return "+".join(values)


# -- subtree: a follow-on waits for the whole child subtree (grandchildren and their follow-ons)
def node_a(job, out):
    record(out, "start", "A", os.getpid())
    job.addChildJobFn(node_a1, out)
    job.addFollowOnJobFn(step, out, "A_followon", 0.1)
    record(out, "end", "A", os.getpid())


def node_a1(job, out):
    record(out, "start", "A1", os.getpid())
    job.addChildJobFn(step, out, "A2", 0.6)
    record(out, "end", "A1", os.getpid())


def subtree_root(job, out):
    record(out, "start", "root", os.getpid())
    job.addChildJobFn(node_a, out)
    job.addChildJobFn(step, out, "B", 0.1)
    job.addFollowOnJobFn(step, out, "F")
    record(out, "end", "root", os.getpid())
    return "subtree done"


# -- diamond: C is a child of both A and B
def diamond_static(out):
    root = Job.wrapJobFn(step, out, "root")
    a = Job.wrapJobFn(step, out, "A", 0.2)
    b = Job.wrapJobFn(step, out, "B", 0.8)
    c = Job.wrapJobFn(step, out, "C")
    root.addChild(a)
    root.addChild(b)
    a.addChild(c)
    b.addChild(c)
    root.addFollowOnJobFn(step, out, "F")
    return root


def diamond_dynamic(job, out):
    record(out, "start", "root", os.getpid())
    a = job.addChildJobFn(step, out, "A", 0.8)
    b = job.addChildJobFn(step, out, "B", 0.2)
    c = Job.wrapJobFn(step, out, "C")
    a.addChild(c)
    b.addChild(c)
    job.addFollowOnJobFn(step, out, "F")
    record(out, "end", "root", os.getpid())


# -- diamond_fail: one of C's two parents fails until DIR/fixed exists
def fragile_step(job, out, name, sleep=0.0):
    record(out, "start", name, os.getpid())
    time.sleep(sleep)
    if not os.path.exists(os.path.join(out, "fixed")):
        raise RuntimeError("%s is broken" % name)
    record(out, "end", name, os.getpid())
    return name


def diamond_fail(out):
    root = Job.wrapJobFn(step, out, "root")
    a = Job.wrapJobFn(fragile_step, out, "A", 0.1)
    b = Job.wrapJobFn(step, out, "B", 0.5)
    c = Job.wrapJobFn(step, out, "C")
    root.addChild(a)
    root.addChild(b)
    a.addChild(c)
    b.addChild(c)
    root.addFollowOnJobFn(step, out, "F")
    return root


# -- mixed_join: C is a child of A and a follow-on of B (which has a slow child B1)
def mixed_join(out):
    root = Job.wrapJobFn(step, out, "root")
    a = root.addChildJobFn(step, out, "A", 0.1)
    b = root.addChildJobFn(step, out, "B")
    b.addChildJobFn(step, out, "B1", 0.8)
    c = Job.wrapJobFn(step, out, "C")
    a.addChild(c)
    b.addFollowOn(c)
    return root


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--mode", required=True)
    options = parser.parse_args()
    out = os.path.abspath(options.out)
    if options.mode == "parallel":
        root = Job.wrapJobFn(parallel_root, out)
    elif options.mode == "subtree":
        root = Job.wrapJobFn(subtree_root, out)
    elif options.mode == "diamond":
        root = diamond_static(out)
    elif options.mode == "diamond_fail":
        root = diamond_fail(out)
    elif options.mode == "mixed_join":
        root = mixed_join(out)
    elif options.mode == "diamond_dynamic":
        root = Job.wrapJobFn(diamond_dynamic, out)
    else:
        raise SystemExit("unknown mode " + options.mode)
    with Toil(options) as toil:
        result = toil.restart() if toil.options.restart else toil.start(root)
    print("RESULT: %s" % (result,))
