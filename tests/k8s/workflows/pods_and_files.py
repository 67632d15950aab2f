"""A workflow with children, a follow-on, promises and global files, whose jobs report the host
they ran on (a pod's host name is its pod name, ``OWNER-toil-RUN-N-xxxxx``).

Prints ``sum of lengths: N`` and ``hosts: ...`` on success.
"""
import os
import socket

from toil.common import Toil
from toil.job import Job

SMALL = {"cores": 0.2, "memory": "150M", "disk": "50M"}


def measure(job, file_id, index):
    path = job.fileStore.readGlobalFile(file_id)
    with open(path) as handle:
        words = handle.read().split()
    out = job.fileStore.getLocalTempFile()
    with open(out, "w") as handle:
        handle.write(words[index] * 2)
    return job.fileStore.writeGlobalFile(out), socket.gethostname()


def combine(job, results):
    total = 0
    hosts = []
    for file_id, host in results:
        with open(job.fileStore.readGlobalFile(file_id)) as handle:
            total += len(handle.read())
        hosts.append(host)
    return total, hosts + [socket.gethostname()]


def root(job):
    path = job.fileStore.getLocalTempFile()
    with open(path, "w") as handle:
        handle.write("alpha beta gamma")
    file_id = job.fileStore.writeGlobalFile(path)
    results = [job.addChildJobFn(measure, file_id, i, **SMALL).rv() for i in range(3)]
    return job.addFollowOnJobFn(combine, results, **SMALL).rv()


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    options = parser.parse_args()
    with Toil(options) as toil:
        total, hosts = toil.restart() if options.restart else toil.start(Job.wrapJobFn(root, **SMALL))
    print(f"sum of lengths: {total}")
    print("hosts: " + " ".join(hosts))
    print("leader host: " + socket.gethostname() + " pid " + str(os.getpid()))
