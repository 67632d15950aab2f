"""A fan-out of short jobs with follow-ons, for killing the leader half way and restarting.

``python fanout.py JOBSTORE --out DIR [--jobs N] [toil options]``
Each ``work`` job appends "start work-I PID TIME" and "done work-I PID TIME" lines to
DIR/events.log (so does its follow-on ``post``); the root's follow-on sums the posts' values.
"""
import os
import random
import time

from toil.common import Toil
from toil.job import Job


def record(out, *fields):
    with open(os.path.join(out, "events.log"), "a") as handle:
        handle.write(" ".join(str(f) for f in fields) + "\n")


def work(job, out, i):
    record(out, "start", "work-%d" % i, os.getpid(), repr(time.time()))
    time.sleep(random.uniform(0.2, 0.5))
    record(out, "done", "work-%d" % i, os.getpid(), repr(time.time()))
    return i


def post(job, out, i, value):
    record(out, "start", "post-%d" % i, os.getpid(), repr(time.time()))
    time.sleep(0.05)
    record(out, "done", "post-%d" % i, os.getpid(), repr(time.time()))
    return 2 * value


def total(job, out, values):
    record(out, "start", "total", os.getpid(), repr(time.time()))
    record(out, "done", "total", os.getpid(), repr(time.time()))
    return sum(values)


def root(job, out, n):
    record(out, "start", "root", os.getpid(), repr(time.time()))
    posts = []
    for i in range(n):
        w = job.addChildJobFn(work, out, i)
        posts.append(w.addFollowOnJobFn(post, out, i, w.rv()).rv())
    record(out, "done", "root", os.getpid(), repr(time.time()))
    return job.addFollowOnJobFn(total, out, posts).rv()


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--jobs", type=int, default=30)
    parser.add_argument("--die-before-start", action="store_true",
                        help="SIGKILL this process after creating the job store, before start()")
    options = parser.parse_args()
    out = os.path.abspath(options.out)
    with Toil(options) as toil:
        if options.die_before_start:
            os.kill(os.getpid(), 9)
        if toil.options.restart:
            result = toil.restart()
        else:
            result = toil.start(Job.wrapJobFn(root, out, options.jobs))
    print("RESULT: %s" % (result,))
