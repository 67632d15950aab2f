"""A workflow that puts a marker string everywhere a job store keeps data, for the encryption tests.

``python secrets.py JOBSTORE --marker TEXT [--failFlag PATH] [--names] [toil options]``
The marker goes into global files (written from a path and as a stream), a job's return values,
a promise passed between jobs, a job's log (``job.log``) and the job bodies' arguments. While
the file ``--failFlag`` exists the reading job fails (to test restarts). Prints ``RESULT:<n>``.

With ``--names`` the workflow also gives :data:`NAME_MARKER` to everything a user names: a file
written from a path, a stream's basename, an imported file, a shared file imported by the leader
and one written by a job, a job's name (its class), display name and unit name. A job checks
that the names come back (``readGlobalFile``'s default path ends with the file's name) and the
leader exports a file; it prints ``NAMES:ok``.
"""
import os
import shutil

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


#: The name the workflow gives files, shared files and a job with ``--names`` (see the docstring).
NAME_MARKER = "Zq7NameMarker"


class Zq7NameMarkerJob(Job):
    """A job whose name, display name and unit name all hold :data:`NAME_MARKER`."""

    def __init__(self, imported):
        super().__init__(unitName=NAME_MARKER + "_unit", displayName=NAME_MARKER + " display")
        self.imported = imported

    def run(self, fileStore):
        store = fileStore.jobStore
        local = os.path.join(fileStore.getLocalTempDir(), NAME_MARKER + "_file.txt")
        with open(local, "w") as handle:
            handle.write("named file")
        fid = fileStore.writeGlobalFile(local)
        with fileStore.writeGlobalFileStream(basename=NAME_MARKER + "_stream.dat") as (handle, sid):
            handle.write(b"named stream")
        with store.writeSharedFileStream(NAME_MARKER + "_written_shared") as handle:
            handle.write(b"shared by a job")
        for file_id, name, content in ((fid, "_file.txt", "named file"), (sid, "_stream.dat", "named stream"),
                                       (self.imported, "_import.txt", "imported")):
            path = fileStore.readGlobalFile(file_id)
            if not os.path.basename(path).endswith(NAME_MARKER + name):
                raise RuntimeError("the file came back as %s, not under its name" % path)
            with open(path) as handle:
                if handle.read() != content:
                    raise RuntimeError("wrong content in %s" % path)
        with store.readSharedFileStream(NAME_MARKER + "_shared") as handle:
            if handle.read() != b"shared by the leader":
                raise RuntimeError("wrong shared file content")
        return fid


def root(job, marker, fail_flag, imported=None):
    results = [job.addChildJobFn(writer, marker, i).rv() for i in range(3)]
    count = job.addFollowOnJobFn(reader, marker, results, fail_flag).rv()
    if imported is None:
        return count
    return count, job.addChild(Zq7NameMarkerJob(imported)).rv()


def _import_named(toil, directory):
    """Import a file and a shared file whose names hold NAME_MARKER (as a user would)."""
    os.makedirs(directory, exist_ok=True)
    named = os.path.join(directory, NAME_MARKER + "_import.txt")
    with open(named, "w") as handle:
        handle.write("imported")
    shared = os.path.join(directory, "shared-source")
    with open(shared, "wb") as handle:
        handle.write(b"shared by the leader")
    toil.importFile("file://" + os.path.abspath(shared), sharedFileName=NAME_MARKER + "_shared")
    return toil.importFile("file://" + os.path.abspath(named))


def _report_names(toil, result, directory):
    """Export the named file and print the count; NAMES:ok if the export holds its content."""
    count, fid = result
    target = os.path.join(os.path.abspath(directory), "exported.txt")
    toil.exportFile(fid, "file://" + target)
    with open(target) as handle:
        if handle.read() == "named file":
            print("NAMES:ok")
    shutil.rmtree(directory, ignore_errors=True)
    return count


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--marker", required=True)
    parser.add_argument("--failFlag", default="")
    parser.add_argument("--names", action="store_true", default=False)
    options = parser.parse_args()
    scratch = os.path.abspath("secrets-names")
    with Toil(options) as toil:
        if options.restart:
            result = toil.restart()
        else:
            imported = _import_named(toil, scratch) if options.names else None
            result = toil.start(Job.wrapJobFn(root, options.marker, options.failFlag, imported))
        if isinstance(result, (tuple, list)):
            result = _report_names(toil, result, scratch)
    print("RESULT:%s" % result)
