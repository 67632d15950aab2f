"""Benchmark case (sj): the small-files workload of issue 24, against upstream Toil 5.10.

A root job starts W writer children; each writes F files of 1 KiB with writeGlobalFileStream and
returns their file IDs; a follow-on of the root reads all W x F files back with
readGlobalFileStream and checks every byte. The case's time is the whole workflow's wall clock
(as every case's); case (s) measures the same file-store calls per file against plain Python.
Valid upstream Toil 5.10 script (public API only).

    python bench/wf_smallfiles_jobs.py file:/tmp/store --logLevel=WARNING --benchWriters 20 --benchFiles 100
"""
import json

from toil.common import Toil
from toil.job import Job

REQ = {"cores": 1, "memory": "100M", "disk": "100M"}
SIZE = 1024


def _content(writer, index):
    """1 KiB that tells which file it is (so the reader can check each one)."""
    head = f"{writer}:{index}:".encode()
    return (head * (SIZE // len(head) + 1))[:SIZE]


def write_files(job, writer, count):
    ids = []
    for index in range(count):
        with job.fileStore.writeGlobalFileStream() as (handle, file_id):
            handle.write(_content(writer, index))
        ids.append(file_id)
    return ids


def read_files(job, id_lists):
    total = 0
    for writer, ids in enumerate(id_lists):
        for index, file_id in enumerate(ids):
            with job.fileStore.readGlobalFileStream(file_id) as handle:
                if handle.read() != _content(writer, index):
                    raise RuntimeError(f"file {writer}/{index} ({file_id}) came back with other bytes")
            total += 1
    return total


def root(job, writers, count):
    promises = [job.addChildJobFn(write_files, w, count, **REQ).rv() for w in range(writers)]
    return job.addFollowOnJobFn(read_files, promises, **REQ).rv()


def main():
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--benchWriters", type=int, default=20, help="writer jobs")
    parser.add_argument("--benchFiles", type=int, default=100, help="files of 1 KiB per writer")
    options = parser.parse_args()
    options.clean = "always"
    with Toil(options) as toil:
        read = toil.start(Job.wrapJobFn(root, options.benchWriters, options.benchFiles, **REQ))
    expected = options.benchWriters * options.benchFiles
    ok = read == expected
    print("BENCH-RESULT " + json.dumps({"case": "smallfiles-jobs", "jobs": options.benchWriters + 2, "ok": ok,
                                         "files": expected}), flush=True)
    if not ok:
        raise SystemExit(f"small-files check failed: read {read} files, expected {expected}")


if __name__ == "__main__":
    main()
