"""A workflow for the security tests (issue 5): it stores files, logs, fails one job on purpose,
and checks (without printing them) that the secret environment variables reached the jobs.

``python secrets_wf.py JOBSTORE --out DIR [toil options]``

The leader imports an executable file and a plain one; ``root`` writes a global file, logs a
line, and adds ``fails`` (raises) and ``writer`` (writes another global file). Every job
appends ``NAME sees-secrets yes|no`` to ``DIR/events.log`` for the variables named in
``DIR/secret-names`` (one per line). The variables' values are never printed.
"""
import os

from toil.common import Toil
from toil.job import Job


def record(out, *fields):
    with open(os.path.join(out, "events.log"), "a") as handle:
        handle.write(" ".join(str(f) for f in fields) + "\n")


def sees_secrets(out):
    with open(os.path.join(out, "secret-names")) as handle:
        names = [line.strip() for line in handle if line.strip()]
    return "yes" if names and all(os.environ.get(name) for name in names) else "no"


def store_text(job, name, text):
    path = os.path.join(job.tempDir, name)
    with open(path, "w") as handle:
        handle.write(text)
    return job.fileStore.writeGlobalFile(path)


def root(job, out, imported):
    record(out, "root", "sees-secrets", sees_secrets(out))
    job.log("the root job ran and read %s" % imported)
    job.fileStore.readGlobalFile(imported)
    store_text(job, "root-output.txt", "written by the root job\n")
    job.addChildJobFn(fails, out)
    job.addChildJobFn(writer, out)
    return "root"


def fails(job, out):
    record(out, "fails", "sees-secrets", sees_secrets(out))
    print("the failing job prints to stdout before failing")
    raise RuntimeError("deliberate failure for the security test")


def writer(job, out):
    record(out, "writer", "sees-secrets", sees_secrets(out))
    job.log("the writer job ran")
    return store_text(job, "writer-output.txt", "written by the writer job\n")


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--out", required=True)
    options = parser.parse_args()
    out_dir = os.path.abspath(options.out)
    tool = os.path.join(out_dir, "tool.sh")
    with open(tool, "w") as handle:
        handle.write("#!/bin/sh\necho tool\n")
    os.chmod(tool, 0o755)
    with Toil(options) as toil:
        executable = toil.import_file("file://" + tool)
        toil.import_file("file://" + os.path.join(out_dir, "secret-names"))
        result = toil.start(Job.wrapJobFn(root, out_dir, executable))
    print("RESULT: %s" % (result,))
