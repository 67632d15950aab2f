"""A workflow with one job that always fails, next to branches that succeed.

``python failing.py JOBSTORE --out DIR [--catch] [toil options]``
Jobs append "start NAME" / "end NAME" lines to DIR/events.log. With --catch the script runs Toil
in-process, catches FailedJobsException and prints its attributes.
"""
import os
import sys
import time

from toil.common import Toil
from toil.job import Job
from toil.leader import FailedJobsException


def record(out, *fields):
    with open(os.path.join(out, "events.log"), "a") as handle:
        handle.write(" ".join(str(f) for f in fields) + "\n")


def step(job, out, name, sleep=0.0):
    record(out, "start", name)
    time.sleep(sleep)
    record(out, "end", name)
    return name


def always_fails(job, out, name, noisy=0):
    record(out, "start", name)
    for i in range(noisy):
        print("noise line %06d %s" % (i, "x" * 60))
    print("about to fail on purpose")
    raise RuntimeError("Deliberate failure XYZZY-42")


def root(job, out, bad_count, noisy=0):
    record(out, "start", "root")
    for i in range(bad_count):
        bad = Job.wrapJobFn(always_fails, out, "bad%d" % i, noisy)
        bad.addChildJobFn(step, out, "bad%d_child" % i)
        bad.addFollowOnJobFn(step, out, "bad%d_followon" % i)
        job.addChild(bad)
    good = job.addChildJobFn(step, out, "good", 0.2)
    good.addChildJobFn(step, out, "good_child", 1.5)
    good.addFollowOnJobFn(step, out, "good_followon", 0.1)
    job.addFollowOnJobFn(step, out, "root_followon")
    record(out, "end", "root")
    return "unreachable"


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--catch", action="store_true")
    parser.add_argument("--bad", type=int, default=1, help="how many jobs fail")
    parser.add_argument("--noisy", type=int, default=0, help="lines the failing jobs print first")
    options = parser.parse_args()
    out = os.path.abspath(options.out)
    if options.catch:
        try:
            with Toil(options) as toil:
                toil.start(Job.wrapJobFn(root, out, options.bad, options.noisy))
        except FailedJobsException as error:
            print("CAUGHT numberOfFailedJobs=%d" % error.numberOfFailedJobs)
            print("CAUGHT jobStoreLocator=%s" % error.jobStoreLocator)
            print("CAUGHT exit_code=%s" % error.exit_code)
            print("CAUGHT message=%s" % str(error).replace("\n", "\\n"))
            sys.exit(3)
        print("NOT CAUGHT")
    else:
        with Toil(options) as toil:
            toil.start(Job.wrapJobFn(root, out, options.bad, options.noisy))
