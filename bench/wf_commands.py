"""Benchmark case (f): the CWL-style pattern of N independent small command jobs.

Like a scatter over a CWL CommandLineTool: the root adds N independent children; each one runs a short
shell command (``echo x | tr x y > out``) in its own local temp dir with subprocess, writes the output
to the file store with writeGlobalFile and returns the file ID.  A follow-on of the root (the output
collection step) reads every file back and checks its content.  Valid upstream Toil 5.10 script.

    python bench/wf_commands.py file:/tmp/store --logLevel=WARNING --benchCommands 500
"""
import json
import os
import subprocess

from toil.common import Toil
from toil.job import Job

REQ = {"cores": 1, "memory": "100M", "disk": "100M"}


def command(job, i):
    workdir = job.fileStore.getLocalTempDir()
    subprocess.run(["sh", "-c", "echo x | tr x y > out"], cwd=workdir, check=True)
    return job.fileStore.writeGlobalFile(os.path.join(workdir, "out"))


def collect(job, file_ids):
    good = 0
    for file_id in file_ids:
        with open(job.fileStore.readGlobalFile(file_id)) as handle:
            good += handle.read() == "y\n"
    return good


def scatter(job, n):
    file_ids = [job.addChildJobFn(command, i, **REQ).rv() for i in range(n)]
    return job.addFollowOnJobFn(collect, file_ids, **REQ).rv()


def main():
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--benchCommands", type=int, default=500, help="number of command jobs")
    options = parser.parse_args()
    options.clean = "always"
    n = options.benchCommands
    with Toil(options) as toil:
        result = toil.start(Job.wrapJobFn(scatter, n, **REQ))
    ok = result == n
    # root + n commands + the collecting follow-on
    print("BENCH-RESULT " + json.dumps({"case": "commands", "jobs": n + 2, "ok": ok, "good": result}),
          flush=True)
    if not ok:
        raise SystemExit(f"commands check failed: {result!r} good outputs, expected {n}")


if __name__ == "__main__":
    main()
