"""FileJobStore under concurrency: many processes and threads creating jobs and files at once.

Prints operation rates (no timed assertion: they depend on the file system; on some VMs inode
creation under /tmp alone costs ~1 ms).
"""
from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ThreadPoolExecutor

from toil_core.job.description import JobDescription
from toil_core.jobstores.file_job_store import FileJobStore


def _create_jobs(args):
    locator, count, worker = args
    js = FileJobStore(locator)
    js.resume()
    ids = []
    for i in range(count):
        desc = JobDescription(jobName=f"w{worker}", children=[f"c{i}"])
        js.assign_job_id(desc)
        js.create_job(desc)
        with js.write_file_stream(desc.jobStoreID, cleanup=True, basename="body") as (handle, fid):
            handle.write(b"pickled body %d" % i)
        desc.body_id = fid
        js.update_job(desc)
        ids.append((desc.jobStoreID, fid))
    return ids


def test_processes_create_2000_jobs(store):
    workers, per_worker = 4, 500
    ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    start = time.perf_counter()
    with ctx.Pool(workers) as pool:
        results = pool.map(_create_jobs, [(store.locator, per_worker, w) for w in range(workers)])
    elapsed = time.perf_counter() - start
    pairs = [pair for chunk in results for pair in chunk]
    print(f"\n{len(pairs)} jobs (create + body file + update) from {workers} processes: "
          f"{len(pairs) / elapsed:.0f} jobs/s, {3 * len(pairs) / elapsed:.0f} ops/s")
    assert len(pairs) == workers * per_worker
    assert len({job_id for job_id, _ in pairs}) == len(pairs)
    listed = {d.jobStoreID: d for d in store.jobs()}
    assert set(listed) == {job_id for job_id, _ in pairs}
    for job_id, fid in pairs[::97]:
        assert listed[job_id].body_id == fid and listed[job_id].version == 1
        with store.read_file_stream(fid) as handle:
            assert handle.read().startswith(b"pickled body")
    start = time.perf_counter()
    for job_id, _fid in pairs:
        store.delete_job(job_id)
    print(f"delete_job with cleanup files: {len(pairs) / (time.perf_counter() - start):.0f}/s")
    assert list(store.jobs()) == []
    assert not any(store.file_exists(fid) for _, fid in pairs[::50])


def test_threads_create_and_read(store):
    count = 2000

    def one(i):
        desc = JobDescription(jobName="t")
        store.assign_job_id(desc)
        store.create_job(desc)
        loaded = store.load_job(desc.jobStoreID)
        assert loaded.jobStoreID == desc.jobStoreID
        return desc.jobStoreID

    start = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(one, range(count)))
    elapsed = time.perf_counter() - start
    print(f"\n{count} create+load from 8 threads: {count / elapsed:.0f}/s")
    assert len(set(ids)) == count
    assert sum(1 for _ in store.jobs()) == count


def test_sequential_rates(store):
    """Single-process rates of the hot calls, for the record."""
    n = 1000
    rates = {}
    start = time.perf_counter()
    descs = []
    for _ in range(n):
        desc = JobDescription(jobName="s")
        store.assign_job_id(desc)
        store.create_job(desc)
        descs.append(desc)
    rates["create_job"] = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for desc in descs:
        store.load_job(desc.jobStoreID)
    rates["load_job"] = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for desc in descs:
        store.update_job(desc)
    rates["update_job"] = n / (time.perf_counter() - start)
    start = time.perf_counter()
    fids = []
    for _ in range(n):
        with store.write_file_stream() as (handle, fid):
            handle.write(b"x" * 200)
        fids.append(fid)
    rates["write_file_stream"] = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for fid in fids:
        assert store.file_exists(fid)
    rates["file_exists"] = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for fid in fids:
        store.delete_file(fid)
    rates["delete_file"] = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for desc in descs:
        store.delete_job(desc.jobStoreID)
    rates["delete_job"] = n / (time.perf_counter() - start)
    print("\n" + ", ".join(f"{k} {v:.0f}/s" for k, v in rates.items()))
    assert list(store.jobs()) == []
