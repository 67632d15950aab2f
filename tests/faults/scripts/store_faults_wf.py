"""A small workflow for the job store fault tests (issue 5): it stores a global file, has a job
with a large body (stored as a separate file), and a job that can be held or made to fail.

``python store_faults_wf.py JOBSTORE --out DIR [--payload BYTES] [--big BYTES] [toil options]``

* ``root`` writes a global file of ``--payload`` bytes, adds the children ``gate`` (whose
  pickled body is over 64 KiB, so it is stored as a file) and, with ``--big``, ``big`` (which
  writes a global file of that size), and the follow-on ``reader``, which reads the global
  file back and returns its digest: the result is ``payload <sha256 prefix> gate <n>``.
* ``gate`` fails unless ``DIR/open`` exists; if ``DIR/hold`` exists it waits for ``DIR/release``.

Every job appends ``start NAME`` / ``end NAME`` to ``DIR/events.log``. With ``--restart`` the
workflow is resumed. The result is printed as ``RESULT: ...``.
"""
import hashlib
import os
import time

from toil.common import Toil
from toil.job import Job

BALLAST = 70 * 1024  # makes gate's body larger than the 64 KiB kept inside its description


def record(out, *fields):
    with open(os.path.join(out, "events.log"), "a") as handle:
        handle.write(" ".join(str(f) for f in fields) + "\n")


def payload_bytes(size):
    line = b"0123456789abcdefghijklmnopqrstuvwxyz-payload\n"
    return (line * (size // len(line) + 1))[:size]


def write_global(job, name, data):
    path = os.path.join(job.tempDir, name)
    with open(path, "wb") as handle:
        handle.write(data)
    return job.fileStore.writeGlobalFile(path)


def root(job, out, payload, big):
    record(out, "start", "root")
    file_id = write_global(job, "payload.txt", payload_bytes(payload))
    job.addChildJobFn(gate, out, "x" * BALLAST)
    if big:
        job.addChildJobFn(write_big, out, big)
    reader = job.addFollowOnJobFn(read_payload, out, file_id)
    record(out, "end", "root")
    return reader.rv()


def gate(job, out, ballast):
    record(out, "start", "gate")
    if not os.path.exists(os.path.join(out, "open")):
        raise RuntimeError("the gate is closed (create %s to open it)" % os.path.join(out, "open"))
    deadline = time.time() + 120
    while os.path.exists(os.path.join(out, "hold")) and not os.path.exists(os.path.join(out, "release")):
        if time.time() > deadline:
            raise RuntimeError("held for too long")
        time.sleep(0.05)
    record(out, "end", "gate")
    return len(ballast)


def write_big(job, out, size):
    record(out, "start", "big")
    write_global(job, "big.bin", payload_bytes(size))
    record(out, "end", "big")
    return size


def read_payload(job, out, file_id):
    record(out, "start", "reader")
    with open(job.fileStore.readGlobalFile(file_id), "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()[:16]
    record(out, "end", "reader")
    return "payload %s" % digest


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--payload", type=int, default=200 * 1024)
    parser.add_argument("--big", type=int, default=0)
    options = parser.parse_args()
    out_dir = os.path.abspath(options.out)
    with Toil(options) as toil:
        if toil.options.restart:
            result = toil.restart()
        else:
            result = toil.start(Job.wrapJobFn(root, out_dir, options.payload, options.big))
    print("RESULT: %s" % (result,))
