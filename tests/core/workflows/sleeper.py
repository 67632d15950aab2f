"""A workflow with one long job (and a short sibling), for timeouts and stopping a running leader.

``python sleeper.py JOBSTORE --out DIR [--seconds S] [toil options]``
Jobs append "start NAME PID" / "end NAME PID" to DIR/events.log; the long job stops sleeping
early once DIR/wake exists.
"""
import os
import time

from toil.common import Toil
from toil.job import Job


def record(out, *fields):
    with open(os.path.join(out, "events.log"), "a") as handle:
        handle.write(" ".join(str(f) for f in fields) + "\n")


def nap(job, out, name, seconds):
    record(out, "start", name, os.getpid())
    job.log("%s is going to sleep for %s seconds" % (name, seconds))
    deadline = time.time() + seconds
    while time.time() < deadline and not os.path.exists(os.path.join(out, "wake")):
        time.sleep(0.05)
    record(out, "end", name, os.getpid())
    return name


def root(job, out, seconds):
    record(out, "start", "root", os.getpid())
    long_job = job.addChildJobFn(nap, out, "long", seconds, cores=0.5, memory="100M")
    long_job.addFollowOnJobFn(nap, out, "after_long", 0, cores=0.5, memory="100M")
    job.addChildJobFn(nap, out, "short", 0.1, cores=0.5, memory="100M")
    record(out, "end", "root", os.getpid())


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--seconds", type=float, default=30)
    options = parser.parse_args()
    out = os.path.abspath(options.out)
    with Toil(options) as toil:
        if toil.options.restart:
            toil.restart()
        else:
            toil.start(Job.wrapJobFn(root, out, options.seconds, cores=0.5, memory="100M"))
    print("RESULT: done")
