"""A workflow whose module is slow to import anywhere but in the leader: the fork server's first
job waits for it, which must not count towards --maxJobDuration.

``python slow_start.py JOBSTORE --out DIR --import-seconds S [toil options]``
The import delay is read from DIR/import-seconds; the root job appends "start root PID" and
"end root PID" to DIR/events.log.
"""
import os
import time

from toil.common import Toil
from toil.job import Job


def _import_delay():
    out = os.environ.get("SLOW_START_OUT")
    if __name__ != "__main__" and out and os.path.exists(os.path.join(out, "import-seconds")):
        with open(os.path.join(out, "import-seconds")) as handle:
            time.sleep(float(handle.read()))


_import_delay()


def record(out, *fields):
    with open(os.path.join(out, "events.log"), "a") as handle:
        handle.write(" ".join(str(f) for f in fields) + "\n")


def root(job, out):
    record(out, "start", "root", os.getpid())
    time.sleep(0.2)
    record(out, "end", "root", os.getpid())
    return "ok"


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--import-seconds", type=float, default=0)
    options = parser.parse_args()
    out = os.path.abspath(options.out)
    with open(os.path.join(out, "import-seconds"), "w") as handle:
        handle.write(str(options.import_seconds))
    os.environ["SLOW_START_OUT"] = out
    with Toil(options) as toil:
        if toil.options.restart:
            result = toil.restart()
        else:
            result = toil.start(Job.wrapJobFn(root, out, cores=0.5, memory="100M"))
    print("RESULT: %s" % (result,))
