"""Workflows that behave as on upstream Toil 5.10 (issue 13), one per subcommand.

``python upstream_behaviours.py JOBSTORE --mode MODE --out DIR [toil options]``

* ``several-starts``: import a file once, then start three small workflows in the same
  ``with Toil(...)`` block, each reading the file; prints each result.
* ``defer-closure``: a job defers a lambda and a closure (not picklable with pickle); each
  writes a marker file in DIR when the job ends.
* ``diamond``: root -> {passingParent, failingParent} -> child with failingParent failing;
  prints FailedJobsException's count and message (``--restart`` resumes it).
* ``file-log``: a job writes and reads a named file through the file store, then fails.
"""
import argparse
import os

from toil.common import Toil
from toil.exceptions import FailedJobsException
from toil.job import Job


def read_text(job, file_id, suffix):
    path = job.fileStore.readGlobalFile(file_id)
    with open(path) as handle:
        return handle.read().strip() + suffix


def defers(job, out):
    marker = os.path.join(out, "closure-ran")

    def closure():
        with open(marker, "w") as handle:
            handle.write("closure")

    job.defer(lambda: open(os.path.join(out, "lambda-ran"), "w").write("lambda"))
    job.defer(closure)
    return "deferred"


def passing(job):
    return "passing"


def failing(job):
    raise RuntimeError("failingParent fails on purpose")


def child(job, a, b):
    return a + b


def diamond_root(job):
    passing_parent = job.addChildJobFn(passing)
    failing_parent = job.addChildJobFn(failing)
    last = Job.wrapJobFn(child, passing_parent.rv(), failing_parent.rv())
    passing_parent.addChild(last)
    failing_parent.addChild(last)
    return "root"


def file_user(job, out):
    local = os.path.join(job.tempDir, "input-for-grep.txt")
    with open(local, "w") as handle:
        handle.write("payload")
    file_id = job.fileStore.writeGlobalFile(local)
    job.fileStore.readGlobalFile(file_id, os.path.join(job.tempDir, "copy-for-grep.txt"))
    raise RuntimeError("fails after using files")


class EchoService(Job.Service):
    """A service whose start() returns the value it was given (here: its host job's return value)."""

    def __init__(self, value):
        super().__init__(memory="100M", cores=0.1, disk="10M")
        self.value = value

    def start(self, job):
        return ("service saw", self.value)

    def check(self):
        return True

    def stop(self, job):
        pass


def reader(job, seen, out=None):
    if out:
        with open(os.path.join(out, "seen.txt"), "w") as handle:
            handle.write(repr(seen))
    return seen


def service_host(job, out):
    started = job.addService(EchoService(job.rv()))
    job.addChildJobFn(reader, started, out)
    return "host value"


def service_wants_child_value(job):
    child = job.addChildJobFn(reader, "child value")
    job.addService(EchoService(child.rv()))
    return "never saved"


def main():
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--mode", required=True)
    parser.add_argument("--out", required=True)
    options = parser.parse_args()
    with Toil(options) as toil:
        if options.mode == "several-starts":
            source = os.path.join(options.out, "shared.txt")
            with open(source, "w") as handle:
                handle.write("shared")
            file_id = toil.importFile("file://" + source)
            for suffix in ("-1", "-2", "-3"):
                print("result", toil.start(Job.wrapJobFn(read_text, file_id, suffix)))
        elif options.mode == "service-promise":
            print("result", toil.start(Job.wrapJobFn(service_host, options.out)))
        elif options.mode == "service-promise-child":
            print("result", toil.start(Job.wrapJobFn(service_wants_child_value)))
        elif options.mode == "defer-closure":
            print("result", toil.start(Job.wrapJobFn(defers, options.out)))
        elif options.mode in ("diamond", "file-log"):
            root = Job.wrapJobFn(diamond_root) if options.mode == "diamond" else \
                Job.wrapJobFn(file_user, options.out)
            try:
                toil.restart() if options.restart else toil.start(root)
            except FailedJobsException as error:
                print("count", error.numberOfFailedJobs)
                print("message", str(error).splitlines()[0])
                raise SystemExit(1)


if __name__ == "__main__":
    main()
