"""A workflow that fails until it is fixed, then is resumed with --restart.

``python restartable.py JOBSTORE --out DIR [toil options]``
``fragile`` fails until DIR/fixed.marker exists (or until the line marked EDIT-ME is edited).
Jobs append "start NAME" / "end NAME" lines to DIR/events.log.
"""
import os

from toil.common import Toil
from toil.job import Job


def record(out, *fields):
    with open(os.path.join(out, "events.log"), "a") as handle:
        handle.write(" ".join(str(f) for f in fields) + "\n")


def steady(job, out, name):
    record(out, "start", name)
    record(out, "end", name)
    return name


def fragile(job, out):
    record(out, "start", "fragile")
    if not os.path.exists(os.path.join(out, "fixed.marker")):
        raise RuntimeError("fragile is still broken")  # EDIT-ME
    record(out, "end", "fragile")
    return "fragile-ok"


def final(job, out, values):
    record(out, "start", "final")
    record(out, "end", "final")
    return " ".join(values)


def root(job, out):
    record(out, "start", "root")
    s = job.addChildJobFn(steady, out, "steady")
    f = job.addChildJobFn(fragile, out)
    after = f.addFollowOnJobFn(steady, out, "after_fragile")
    record(out, "end", "root")
    return job.addFollowOnJobFn(final, out, [s.rv(), f.rv(), after.rv()]).rv()


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--out", required=True)
    options = parser.parse_args()
    out = os.path.abspath(options.out)
    with Toil(options) as toil:
        if not toil.options.restart:
            result = toil.start(Job.wrapJobFn(root, out))
        else:
            result = toil.restart()
    print("RESULT: %s" % (result,))
