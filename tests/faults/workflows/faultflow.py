"""The fault-injection workflow: children, follow-ons, promises, global files, a service and a
checkpoint, with every job execution recorded outside the job store.

``python faultflow.py JOBSTORE --out DIR [--width N] [--size BYTES] [--big BYTES] [--seed S]
[--fail-max K] [--no-service] [--linger S] [toil options]``

Every job appends to DIR/counter.log (one ``os.write`` of one line, O_APPEND)::

    run  NAME JOBSTOREID PID TIME     when its body starts
    done NAME JOBSTOREID PID TIME     when its body ends, before the worker commits it
    read NAME LABEL SHA              for every global file it reads (SHA of what it got)
    raise NAME N                     when it fails on purpose (its N-th planned failure)

The service records ``run svc HOSTID ...`` on start and ``done svc HOSTID ...`` on stop.
Global files have content that depends only on the seed and their label (:func:`content`), so a
reader can be checked without trusting the job store. The result (printed as ``RESULT: ...``)
combines the values of all jobs and the checksums the readers saw.

With ``--fail-max K`` every job fails on purpose the first ``planned_failures(seed, NAME, K)``
times it runs (counted by its ``raise`` lines), before doing anything else.

With ``--linger S`` the work-i jobs wait S seconds after their ``done`` line (before their worker
commits them): a kill at that line then always hits an attempt that will not be recorded.

With ``--no-service`` the service is left out (svc-user gets the value it would have started
with): a service killed after it started is a failure of its clients, not something a retry
can mend, so runs that kill workers at random leave it out.

The graph (W = --width)::

    root ── service svc (start value used by svc-user)
      ├─ child svc-user
      ├─ child work-i (i < W) ── follow-on post-i          work-i writes g-work-i; post-i reads
      │                                                    and deletes it (g-root is read by all)
      ├─ child ckpt (checkpoint) ─┬─ child ck-0, ck-1, ck-2
      │                           └─ follow-on ck-sum (promises of ck-*)
      ├─ child big ── follow-on big-read                   big writes g-big (--big bytes, tied
      │                                                    to the job: deleted with it)
      └─ follow-on total (promises of everything) writes the kept file g-summary, deletes g-root
"""
import hashlib
import os
import random
import time

from toil.common import Toil
from toil.job import Job

SMALL = {"cores": 0.5, "memory": "50M", "disk": "10M"}


def content(seed, label, size):
    """The bytes of global file ``label``: a function of the seed and the label only."""
    return random.Random("%s:%s" % (seed, label)).randbytes(size)


def digest(data):
    return hashlib.sha256(data).hexdigest()[:16]


def planned_failures(seed, name, fail_max):
    """How many times job ``name`` fails on purpose before it succeeds."""
    if fail_max <= 0:
        return 0
    return random.Random("fail:%s:%s" % (seed, name)).randint(0, fail_max)


def record(out, *fields):
    line = (" ".join(str(f) for f in fields) + "\n").encode()
    fd = os.open(os.path.join(out, "counter.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def lines(out, kind, name):
    try:
        with open(os.path.join(out, "counter.log")) as handle:
            return sum(1 for line in handle if line.split()[:2] == [kind, name])
    except FileNotFoundError:
        return 0


class Params:
    def __init__(self, out, seed, size, big, fail_max, linger=0.0):
        self.out = out
        self.seed = seed
        self.size = size
        self.big = big
        self.fail_max = fail_max
        self.linger = linger


def begin(job, p, name):
    record(p.out, "run", name, job.jobStoreID, os.getpid(), repr(time.time()))
    planned = planned_failures(p.seed, name, p.fail_max)
    raised = lines(p.out, "raise", name)
    if raised < planned:
        record(p.out, "raise", name, raised + 1)
        raise RuntimeError("job %s fails on purpose (%d of %d)" % (name, raised + 1, planned))


def end(job, p, name):
    record(p.out, "done", name, job.jobStoreID, os.getpid(), repr(time.time()))


def write_global(job, p, label, size, cleanup=False):
    path = os.path.join(job.fileStore.getLocalTempDir(), label)
    with open(path, "wb") as handle:
        handle.write(content(p.seed, label, size))
    return job.fileStore.writeGlobalFile(path, cleanup=cleanup)


def read_global(job, p, name, label, file_id):
    with open(job.fileStore.readGlobalFile(file_id), "rb") as handle:
        sha = digest(handle.read())
    record(p.out, "read", name, label, sha)
    return sha


class Svc(Job.Service):
    def __init__(self, p):
        Job.Service.__init__(self, cores=0.1, memory="50M", disk="10M", unitName="svc")
        self.p = p

    def start(self, job):
        record(self.p.out, "run", "svc", job.jobStoreID, os.getpid(), repr(time.time()))
        return "svc-%s" % self.p.seed

    def check(self):
        return True

    def stop(self, job):
        record(self.p.out, "done", "svc", job.jobStoreID, os.getpid(), repr(time.time()))


def svc_user(job, p, value):
    begin(job, p, "svc-user")
    if value != "svc-%s" % p.seed:
        raise RuntimeError("svc-user got %r from the service" % (value,))
    end(job, p, "svc-user")
    return value


def work(job, p, i, root_file):
    name = "work-%d" % i
    begin(job, p, name)
    sha = read_global(job, p, name, "g-root", root_file)
    file_id = write_global(job, p, "g-work-%d" % i, p.size)
    time.sleep(0.05)
    end(job, p, name)
    time.sleep(p.linger)
    return [i, sha, file_id]


def post(job, p, i, value):
    name = "post-%d" % i
    begin(job, p, name)
    index, root_sha, file_id = value
    sha = read_global(job, p, name, "g-work-%d" % i, file_id)
    job.fileStore.deleteGlobalFile(file_id)
    end(job, p, name)
    return "%d:%s:%s" % (index, root_sha, sha)


def ck_leaf(job, p, j):
    name = "ck-%d" % j
    begin(job, p, name)
    time.sleep(0.05)
    end(job, p, name)
    return j * j


def ck_sum(job, p, values):
    begin(job, p, "ck-sum")
    end(job, p, "ck-sum")
    return sum(values)


def ckpt(job, p):
    begin(job, p, "ckpt")
    values = [job.addChildJobFn(ck_leaf, p, j, name="ck-%d" % j, **SMALL).rv() for j in range(3)]
    result = job.addFollowOnJobFn(ck_sum, p, values, name="ck-sum", **SMALL).rv()
    end(job, p, "ckpt")
    return result


def big(job, p):
    begin(job, p, "big")
    file_id = write_global(job, p, "g-big", p.big, cleanup=True)
    end(job, p, "big")
    return file_id


def big_read(job, p, file_id):
    begin(job, p, "big-read")
    sha = read_global(job, p, "big-read", "g-big", file_id)
    end(job, p, "big-read")
    return sha


def total(job, p, root_file, posts, ck, big_sha, svc_value):
    begin(job, p, "total")
    root_sha = read_global(job, p, "total", "g-root", root_file)
    summary = "|".join([root_sha] + list(posts) + [str(ck), big_sha, svc_value])
    write_global(job, p, "g-summary", 1024)  # kept: nobody deletes it
    job.fileStore.deleteGlobalFile(root_file)
    end(job, p, "total")
    return digest(summary.encode())


def root(job, p, width, service=True):
    begin(job, p, "root")
    root_file = write_global(job, p, "g-root", p.size)
    svc_value = job.addService(Svc(p)) if service else "svc-%s" % p.seed
    user = job.addChildJobFn(svc_user, p, svc_value, name="svc-user", **SMALL)
    posts = []
    for i in range(width):
        w = job.addChildJobFn(work, p, i, root_file, name="work-%d" % i, **SMALL)
        posts.append(w.addFollowOnJobFn(post, p, i, w.rv(), name="post-%d" % i, **SMALL).rv())
    c = job.addChildJobFn(ckpt, p, checkpoint=True, name="ckpt", **SMALL)
    b = job.addChildJobFn(big, p, name="big", **SMALL)
    big_sha = b.addFollowOnJobFn(big_read, p, b.rv(), name="big-read", **SMALL).rv()
    result = job.addFollowOnJobFn(total, p, root_file, posts, c.rv(), big_sha, user.rv(),
                                  name="total", **SMALL).rv()
    end(job, p, "root")
    return result


def job_names(width, service=True):
    """Every job name of a run with width ``width`` (the service counts as a job)."""
    return (["root"] + (["svc"] if service else [])
            + ["svc-user", "ckpt", "ck-0", "ck-1", "ck-2", "ck-sum", "big", "big-read", "total"]
            + ["work-%d" % i for i in range(width)] + ["post-%d" % i for i in range(width)])


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--width", type=int, default=6)
    parser.add_argument("--size", type=int, default=256 * 1024)
    parser.add_argument("--big", type=int, default=8 * 1024 * 1024)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fail-max", type=int, default=0)
    parser.add_argument("--no-service", action="store_true")
    parser.add_argument("--linger", type=float, default=0.0)
    options = parser.parse_args()
    params = Params(os.path.abspath(options.out), options.seed, options.size, options.big, options.fail_max,
                    options.linger)
    with Toil(options) as toil:
        if toil.options.restart:
            result = toil.restart()
        else:
            result = toil.start(Job.wrapJobFn(root, params, options.width, not options.no_service,
                                              name="root", **SMALL))
    print("RESULT: %s" % (result,))
