"""Benchmark case (d): global files.

A parent job writes N files of S bytes with writeGlobalFile; R children each read all N back with
readGlobalFile and check every size.  Each child returns the number of bytes it checked; the script checks
the total.  Valid upstream Toil 5.10 script.

    python bench/wf_files.py file:/tmp/store --logLevel=WARNING --benchFiles 200 --benchReaders 10
"""
import json
import os

from toil.common import Toil
from toil.job import Job

REQ = {"cores": 1, "memory": "100M", "disk": "100M"}
MB = 1024 * 1024


def writer(job, nfiles, nreaders, size):
    file_ids = []
    for i in range(nfiles):
        path = job.fileStore.getLocalTempFile()
        with open(path, "wb") as f:
            f.write(bytes([i % 256]) * size)
        file_ids.append(job.fileStore.writeGlobalFile(path))
    return [job.addChildJobFn(reader, file_ids, size, **REQ).rv() for _ in range(nreaders)]


def reader(job, file_ids, size):
    checked = 0
    for i, file_id in enumerate(file_ids):
        path = job.fileStore.readGlobalFile(file_id)
        actual = os.path.getsize(path)
        if actual != size:
            raise RuntimeError(f"file {i} ({file_id}) has {actual} bytes, expected {size}")
        with open(path, "rb") as f:
            if f.read(1) != bytes([i % 256]):
                raise RuntimeError(f"file {i} ({file_id}) has the wrong content")
        checked += actual
    return checked


def main():
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--benchFiles", type=int, default=200, help="number of files")
    parser.add_argument("--benchReaders", type=int, default=10, help="number of reading children")
    parser.add_argument("--benchFileMB", type=int, default=1, help="size of each file in MiB")
    options = parser.parse_args()
    options.clean = "always"
    nfiles, nreaders, size = options.benchFiles, options.benchReaders, options.benchFileMB * MB
    with Toil(options) as toil:
        result = toil.start(Job.wrapJobFn(writer, nfiles, nreaders, size, **REQ))
    ok = len(result) == nreaders and all(r == nfiles * size for r in result)
    moved = nfiles * size * (1 + nreaders)  # written once, read by every reader
    print("BENCH-RESULT " + json.dumps({"case": "files", "jobs": 1 + nreaders, "ok": ok,
                                         "megabytes": moved / MB}), flush=True)
    if not ok:
        raise SystemExit(f"files check failed: {result!r}")


if __name__ == "__main__":
    main()
