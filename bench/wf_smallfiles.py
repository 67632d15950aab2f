"""Benchmark case (s): small global files against plain Python on the same disk, in one job.

One job stores N files of 1-4 KiB through the file store and reads them back, and, in the same job,
does the same user-visible work with plain Python in a directory beside the job store (same file
system: the job store, the job's temp dir (--workDir) and the plain directories are all under the
directory that holds the job store).  The pairs compared, per file:

  stream write   writeGlobalFileStream + write         vs  open(dest, "wb") + write + close
  file write     writeGlobalFile(existing local file)  vs  shutil.copyfile(local file, dest)
  stream read    readGlobalFileStream + read           vs  open(path, "rb") + read + close
  file read      readGlobalFile (a local copy)         vs  shutil.copyfile(stored file, local dest)

Durability, said in the output too: neither side calls fsync (the file job store does not: its
guarantee is atomicity, each file being written to tmp/ and published with one rename, so a crash
leaves the old or the new file, never a partial one; plain Python here has no such guarantee and
writes the destination in place).  Each pair runs ROUNDS times, the two sides alternating which goes
first; the best round of each side is kept, and the ratio is toil / plain (1x: as fast as plain Python),
for the wall clock and for this process's CPU time (user + system; steadier on a loaded machine).
Valid upstream Toil 5.10 script (upstream's file store is not what this case measures, but it runs).

    python bench/wf_smallfiles.py file:/tmp/d/store --logLevel=WARNING --benchFiles 2000
"""
import json
import os
import random
import shutil
import tempfile
import time

from toil.common import Toil
from toil.job import Job

REQ = {"cores": 1, "memory": "200M", "disk": "200M"}
ROUNDS = 3
PAIRS = ("stream write", "file write", "stream read", "file read")


def _blobs(n, seed=24):
    rng = random.Random(seed)
    return [rng.randbytes(rng.randint(1024, 4096)) for _ in range(n)]


def _clock(fn, *args):
    """(wall seconds, CPU seconds of this process): on a loaded machine the disk's wall time is noisy,
    the CPU time (user + system, the system calls included) much less so."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def _toil_round(job, blobs, sources):
    """One round through the file store; returns seconds per pair and checks every byte."""
    fs = job.fileStore
    ids = []

    def stream_write():
        for data in blobs:
            with fs.writeGlobalFileStream() as (handle, file_id):
                handle.write(data)
            ids.append(file_id)

    file_ids = []

    def file_write():
        for path in sources:
            file_ids.append(fs.writeGlobalFile(path))

    def stream_read():
        for file_id, data in zip(ids, blobs):
            with fs.readGlobalFileStream(file_id) as handle:
                if handle.read() != data:
                    raise RuntimeError(f"stream read of {file_id} returned other bytes")

    local = []

    def file_read():
        for file_id in file_ids:
            local.append(fs.readGlobalFile(file_id))

    times = {"stream write": _clock(stream_write), "file write": _clock(file_write),
             "stream read": _clock(stream_read), "file read": _clock(file_read)}
    for path, data, file_id in zip(local, blobs, file_ids):
        with open(path, "rb") as handle:
            if handle.read() != data:
                raise RuntimeError(f"readGlobalFile of {file_id} returned other bytes")
        os.unlink(path)  # not deleteLocalFile: it would also delete the written sources (local copies too)
    # The stored files stay until --clean removes the store (deleteGlobalFile would also delete the
    # local sources, which writeGlobalFile recorded as local copies).
    return times


def _plain_round(root, blobs, sources):
    """The same work with plain Python in fresh directories under ``root``."""
    store, copies, local = (tempfile.mkdtemp(prefix=d, dir=root) for d in ("plain-store-", "plain-copies-",
                                                                            "plain-local-"))
    names = [os.path.join(store, f"f{i}") for i in range(len(blobs))]
    copy_names = [os.path.join(copies, f"f{i}") for i in range(len(blobs))]
    local_names = [os.path.join(local, f"f{i}") for i in range(len(blobs))]

    def stream_write():
        for path, data in zip(names, blobs):
            with open(path, "wb") as handle:
                handle.write(data)

    def file_write():
        for src, dest in zip(sources, copy_names):
            shutil.copyfile(src, dest)

    def stream_read():
        for path, data in zip(names, blobs):
            with open(path, "rb") as handle:
                if handle.read() != data:
                    raise RuntimeError(f"plain read of {path} returned other bytes")

    def file_read():
        for src, dest in zip(copy_names, local_names):
            shutil.copyfile(src, dest)

    times = {"stream write": _clock(stream_write), "file write": _clock(file_write),
             "stream read": _clock(stream_read), "file read": _clock(file_read)}
    for d in (store, copies, local):
        shutil.rmtree(d)
    return times


def smallfiles(job, nfiles, plain_root):
    blobs = _blobs(nfiles)
    sources = []
    src_dir = job.fileStore.getLocalTempDir()
    for i, data in enumerate(blobs):  # the local files writeGlobalFile stores (made once, not timed)
        path = os.path.join(src_dir, f"src{i}.dat")
        with open(path, "wb") as handle:
            handle.write(data)
        sources.append(path)
    best = {"toil": {}, "plain": {}, "toil_cpu": {}, "plain_cpu": {}}
    for r in range(ROUNDS):
        order = ("toil", "plain") if r % 2 == 0 else ("plain", "toil")
        for side in order:
            times = _toil_round(job, blobs, sources) if side == "toil" else _plain_round(plain_root, blobs,
                                                                                          sources)
            for pair, (wall, cpu) in times.items():
                best[side][pair] = min(best[side].get(pair, wall), wall)
                best[side + "_cpu"][pair] = min(best[side + "_cpu"].get(pair, cpu), cpu)
    return dict(best, bytes=sum(len(b) for b in blobs), file_store=type(job.fileStore).__name__)


def main():
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--benchFiles", type=int, default=2000, help="number of files of 1-4 KiB")
    options = parser.parse_args()
    options.clean = "always"
    store = options.jobStore[len("file:"):] if options.jobStore.startswith("file:") else options.jobStore
    root = os.path.dirname(os.path.abspath(store))
    work = os.path.join(root, "work")
    os.makedirs(work, exist_ok=True)
    options.workDir = work  # the job's temp dir on the same file system as the store
    with Toil(options) as toil:
        result = toil.start(Job.wrapJobFn(smallfiles, options.benchFiles, root, **REQ))
    n = options.benchFiles
    ratios = {pair: result["toil"][pair] / result["plain"][pair] for pair in PAIRS}
    ratios["all four"] = sum(result["toil"].values()) / sum(result["plain"].values())
    cpu_ratios = {pair: result["toil_cpu"][pair] / max(result["plain_cpu"][pair], 1e-9) for pair in PAIRS}
    cpu_ratios["all four"] = sum(result["toil_cpu"].values()) / max(sum(result["plain_cpu"].values()), 1e-9)
    us = {side: {pair: round(result[side][pair] / n * 1e6, 1) for pair in PAIRS}
          for side in ("toil", "plain", "toil_cpu", "plain_cpu")}
    print(f"small files: {n} files of 1-4 KiB ({result['bytes'] / 2**20:.1f} MiB), {result['file_store']}, "
          f"best of {ROUNDS} rounds each side; no fsync on either side (the job store publishes each "
          f"file atomically by rename, plain Python writes in place)")
    for pair in PAIRS:
        print(f"  {pair:12s} wall: toil {us['toil'][pair]:8.1f} us/file  plain {us['plain'][pair]:8.1f} us/file  "
              f"ratio {ratios[pair]:.2f}x;  CPU: toil {us['toil_cpu'][pair]:7.1f}  plain "
              f"{us['plain_cpu'][pair]:7.1f} us/file  ratio {cpu_ratios[pair]:.2f}x")
    print(f"  {'all four':12s} wall ratio {ratios['all four']:.2f}x; CPU ratio {cpu_ratios['all four']:.2f}x",
          flush=True)
    print("BENCH-RESULT " + json.dumps({"case": "smallfiles", "jobs": 1, "ok": True, "files": n,
                                         "file_store": result["file_store"], "us_per_file": us,
                                         "ratios": {k: round(v, 3) for k, v in ratios.items()},
                                         "cpu_ratios": {k: round(v, 3) for k, v in cpu_ratios.items()},
                                         "durability": "no fsync either side; job store: atomic rename"}),
          flush=True)


if __name__ == "__main__":
    main()
