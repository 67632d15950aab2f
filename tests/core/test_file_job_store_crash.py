"""FileJobStore crash safety: a process SIGKILLed in the middle of a write leaves the store with
either the old or the new content, never a partial file."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from toil_core.job.description import JobDescription
from toil_core.jobstores.file_job_store import FileJobStore

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def start_child(store, body):
    """Run ``body`` in a fresh interpreter with ``js`` = the resumed store."""
    code = textwrap.dedent("""
        import os, sys, time
        from toil_core.jobstores.file_job_store import FileJobStore
        from toil_core.job.description import JobDescription
        js = FileJobStore(sys.argv[1])
        js.resume()
    """) + textwrap.dedent(body)
    return subprocess.Popen([sys.executable, "-u", "-c", code, store.locator],
                            stdout=subprocess.PIPE, text=True)


def kill(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def wait_for(predicate, timeout=30.0):
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.01)


def tmp_bytes(store):
    tmp = os.path.join(store.jobStoreDir, "tmp")
    return sum(os.path.getsize(os.path.join(tmp, n)) for n in os.listdir(tmp))


def test_killed_write_file_stream_leaves_no_file(store):
    proc = start_child(store, """
        with js.write_file_stream(basename="big.bin") as (handle, file_id):
            print(file_id, flush=True)
            while True:
                handle.write(b"x" * 65536)
                handle.flush()
                time.sleep(0.001)
    """)
    file_id = proc.stdout.readline().strip()
    wait_for(lambda: tmp_bytes(store) > 200_000)
    kill(proc)
    assert file_id.endswith("big.bin")
    assert not store.file_exists(file_id)
    assert store.get_file_size(file_id) == 0
    # The store keeps working, and destroy() clears the leftovers.
    with store.write_file_stream() as (handle, other):
        handle.write(b"ok")
    assert store.file_exists(other)


def test_killed_write_file_from_fifo_leaves_no_file(store, tmp_path):
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    proc = start_child(store, f"""
        print("started", flush=True)
        js.write_file({fifo!r})
        print("finished", flush=True)
    """)
    assert proc.stdout.readline().strip() == "started"
    with open(fifo, "wb") as writer:
        writer.write(b"y" * 100_000)
        writer.flush()
        wait_for(lambda: tmp_bytes(store) >= 100_000)
        kill(proc)
    files_dir = os.path.join(store.jobStoreDir, "files")
    stored = [n for d, _, names in os.walk(files_dir) for n in names]
    assert stored == []


def test_killed_update_file_stream_keeps_old_content(store):
    with store.write_file_stream() as (handle, file_id):
        handle.write(b"old content")
    proc = start_child(store, f"""
        with js.update_file_stream({file_id!r}) as handle:
            print("writing", flush=True)
            while True:
                handle.write(b"n" * 65536)
                handle.flush()
                time.sleep(0.001)
    """)
    assert proc.stdout.readline().strip() == "writing"
    wait_for(lambda: tmp_bytes(store) > 200_000)
    kill(proc)
    with store.read_file_stream(file_id) as handle:
        assert handle.read() == b"old content"


def test_killed_shared_file_write_keeps_old_config(store):
    proc = start_child(store, """
        with js.write_shared_file_stream("config.pickle") as handle:
            handle.write(b"garbage")
            handle.flush()
            print("writing", flush=True)
            time.sleep(60)
    """)
    assert proc.stdout.readline().strip() == "writing"
    kill(proc)
    again = FileJobStore(store.locator)
    again.resume()
    assert again.config.workflowID == store.config.workflowID


def test_job_updates_survive_random_kills(store):
    """Kill a process hammering update_job at random moments: the job always parses and holds
    one of the complete versions."""
    desc = JobDescription(jobName="hammered")
    store.create_job(desc)
    payloads = {"A" * 50_000, "B" * 80_000, "C"}
    rng = random.Random(1234)
    for _ in range(8):
        proc = start_child(store, f"""
            payloads = ["A" * 50_000, "B" * 80_000, "C"]
            desc = js.load_job({desc.jobStoreID!r})
            print("go", flush=True)
            i = 0
            while True:
                desc.unitName = payloads[i % 3]
                js.update_job(desc)
                i += 1
        """)
        assert proc.stdout.readline().strip() == "go"
        time.sleep(rng.uniform(0.0, 0.05))
        kill(proc)
        loaded = store.load_job(desc.jobStoreID)
        assert loaded.jobName == "hammered"
        assert loaded.unitName in payloads or loaded.unitName == ""
    assert len(list(store.jobs())) == 1
