"""A workflow that puts a marker string everywhere a job store keeps data, for the encryption tests.

``python secrets.py JOBSTORE --marker TEXT [--failAt NAME] [toil options]``
The marker goes into global files (written from a path and as a stream), a job's return values,
a promise passed between jobs, a job's log (``job.log``) and the job bodies' arguments. With
``--failAt reader`` the reading job fails (to test restarts). Prints ``RESULT:<n>``.
"""
import os

from toil.common import Toil
from toil.job import Job


def writer(job, marker, n):
    job.log("%s log line %d" % (marker, n))
    path = job.fileStore.getLocalTempFile()
    with open(path, "w") as handle:
        handle.write(marker * 50)
    fid = job.fileStore.writeGlobalFile(path)
    with job.fileStore.writeGlobalFileStream() as (handle, sid):
        handle.write((marker * 5000).encode())
    return fid, sid, "%s value %d" % (marker, n)


def reader(job, marker, results, fail_flag):
    if fail_flag and os.path.exists(fail_flag):
        raise RuntimeError("planned failure of the reader")
    count = 0
    for fid, sid, value in results:
        with open(job.fileStore.readGlobalFile(fid)) as handle:
            count += handle.read().count(marker)
        with job.fileStore.readGlobalFileStream(sid) as handle:
            count += handle.read().decode().count(marker)
        count += value.count(marker)
    return count


def root(job, marker, fail_flag):
    results = [job.addChildJobFn(writer, marker, i).rv() for i in range(3)]
    return job.addFollowOnJobFn(reader, marker, results, fail_flag).rv()


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--marker", required=True)
    parser.add_argument("--failFlag", default="")
    options = parser.parse_args()
    with Toil(options) as toil:
        if options.restart:
            result = toil.restart()
        else:
            result = toil.start(Job.wrapJobFn(root, options.marker, options.failFlag))
    print("RESULT:%s" % result)
