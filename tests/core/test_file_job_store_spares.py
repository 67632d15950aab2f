"""FileJobStore's inode reuse: descriptions updated by an atomic exchange, and the spare files a
process running a batch of jobs keeps (``keep_spare_files``) instead of freeing and allocating
inodes. Each test checks one behaviour; the crash test kills a writer that goes through spares."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from typing import List

import pytest
from toil_core.job.description import JobDescription
from toil_core.jobstores._exchange import exchange_paths
from toil_core.jobstores._file_layout import SPARE_PREFIX
from toil_core.jobstores.file_job_store import FileJobStore

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="renameat2(RENAME_EXCHANGE) is Linux's")


def tmp_names(store: FileJobStore) -> List[str]:
    return sorted(os.listdir(os.path.join(store.jobStoreDir, "tmp")))


def job_inode(store: FileJobStore, job_id: str) -> int:
    return os.stat(store._job_path(job_id)).st_ino


@linux_only
def test_exchange_swaps_two_files(tmp_path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.write_bytes(b"first")
    second.write_bytes(b"second")
    assert exchange_paths(str(first), str(second))
    assert (first.read_bytes(), second.read_bytes()) == (b"second", b"first")


@linux_only
def test_exchange_with_a_missing_path_raises_file_not_found(tmp_path) -> None:
    (tmp_path / "a").write_bytes(b"x")
    with pytest.raises(FileNotFoundError):
        exchange_paths(str(tmp_path / "a"), str(tmp_path / "missing"))


def test_update_without_spares_leaves_nothing_in_tmp(store: FileJobStore) -> None:
    desc = store.create_job(JobDescription(jobName="updated"))
    desc.unitName = "new"
    store.update_job(desc)
    assert store.load_job(desc.jobStoreID).unitName == "new"
    assert tmp_names(store) == []


def test_deleted_description_becomes_a_spare(store: FileJobStore) -> None:
    store.keep_spare_files(True)
    desc = store.create_job(JobDescription(jobName="leaf"))
    store.delete_job(desc.jobStoreID)
    assert not store.job_exists(desc.jobStoreID)
    assert len(tmp_names(store)) == 1


def test_next_write_reuses_the_spare_inode(store: FileJobStore) -> None:
    store.keep_spare_files(True)
    old = store.create_job(JobDescription(jobName="leaf"))
    inode = job_inode(store, old.jobStoreID)
    store.delete_job(old.jobStoreID)
    new = store.create_job(JobDescription(jobName="next"))
    assert job_inode(store, new.jobStoreID) == inode
    assert tmp_names(store) == []


def test_reused_spare_holds_exactly_the_new_content(store: FileJobStore) -> None:
    store.keep_spare_files(True)
    big = JobDescription(jobName="big")
    big.unitName = "x" * 100_000
    store.create_job(big)
    store.delete_job(big.jobStoreID)
    small = store.create_job(JobDescription(jobName="small"))
    assert os.path.getsize(store._job_path(small.jobStoreID)) == len(small.to_bytes())
    assert store.load_job(small.jobStoreID).jobName == "small"


@linux_only
def test_update_keeps_the_replaced_inode_as_a_spare(store: FileJobStore) -> None:
    store.keep_spare_files(True)
    desc = store.create_job(JobDescription(jobName="updated"))
    before = job_inode(store, desc.jobStoreID)
    desc.unitName = "new"
    store.update_job(desc)
    assert job_inode(store, desc.jobStoreID) != before
    assert [os.stat(os.path.join(store.jobStoreDir, "tmp", n)).st_ino for n in tmp_names(store)] == [before]


def test_stopping_puts_the_spares_into_the_pool(store: FileJobStore) -> None:
    jobs = [store.create_job(JobDescription(jobName="leaf")) for _ in range(3)]
    store.keep_spare_files(True)
    for desc in jobs:
        store.delete_job(desc.jobStoreID)
    store.keep_spare_files(False)
    names = tmp_names(store)
    assert len(names) == 3 and all(n.startswith(SPARE_PREFIX) for n in names)


def test_discard_spare_files_empties_the_pool(store: FileJobStore) -> None:
    jobs = [store.create_job(JobDescription(jobName="leaf")) for _ in range(3)]
    store.share_deleted_files()
    for desc in jobs:
        store.delete_job(desc.jobStoreID)
    assert store.discard_spare_files() == 3
    assert tmp_names(store) == []


def test_shared_deletion_puts_the_description_into_the_pool(store: FileJobStore) -> None:
    store.share_deleted_files()
    desc = store.create_job(JobDescription(jobName="inner"))
    inode = job_inode(store, desc.jobStoreID)
    store.delete_job(desc.jobStoreID)
    assert not store.job_exists(desc.jobStoreID)
    [name] = tmp_names(store)
    assert name.startswith(SPARE_PREFIX)
    assert os.stat(os.path.join(store.jobStoreDir, "tmp", name)).st_ino == inode


def test_a_process_without_spares_of_its_own_claims_one_from_the_pool(store: FileJobStore) -> None:
    leader = FileJobStore(store.locator)
    leader.resume()
    leader.share_deleted_files()
    desc = leader.create_job(JobDescription(jobName="inner"))
    inode = job_inode(leader, desc.jobStoreID)
    leader.delete_job(desc.jobStoreID)
    store.keep_spare_files(True)
    new = store.create_job(JobDescription(jobName="next"))
    assert job_inode(store, new.jobStoreID) == inode
    assert tmp_names(store) == []


def test_spares_are_capped(store: FileJobStore) -> None:
    from toil_core.jobstores._file_layout import MAX_SPARES

    jobs = [store.create_job(JobDescription(jobName="leaf")) for _ in range(MAX_SPARES + 3)]
    store.keep_spare_files(True)
    for desc in jobs:
        store.delete_job(desc.jobStoreID)
    assert len(tmp_names(store)) == MAX_SPARES


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_does_not_use_its_parents_spares(store: FileJobStore) -> None:
    store.keep_spare_files(True)
    store.delete_job(store.create_job(JobDescription(jobName="leaf")).jobStoreID)
    spare = tmp_names(store)
    pid = os.fork()
    if pid == 0:  # child: a write must not take the parent's spare
        code = 1
        try:
            store.create_job(JobDescription(jobName="child"))
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert set(spare) <= set(tmp_names(store))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_writer_with_spares_leaves_complete_jobs(store: FileJobStore) -> None:
    """A process hammering creates, updates and deletes through spares, killed at random
    moments: every stored job parses and holds one of its complete versions, and destroy()
    removes the spares it left."""
    keeper = store.create_job(JobDescription(jobName="keeper"))
    code = textwrap.dedent(f"""
        import sys
        from toil_core.jobstores.file_job_store import FileJobStore
        from toil_core.job.description import JobDescription
        js = FileJobStore(sys.argv[1])
        js.resume()
        js.keep_spare_files(True)
        keeper = js.load_job({keeper.jobStoreID!r})
        payloads = ["A" * 50_000, "B" * 3, "C" * 9_000]
        print("go", flush=True)
        i = 0
        while True:
            leaf = js.create_job(JobDescription(jobName="leaf"))
            keeper.unitName = payloads[i % 3]
            js.update_job(keeper)
            js.delete_job(leaf.jobStoreID)
            i += 1
    """)
    rng = random.Random(4321)
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-u", "-c", code, store.locator], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "go"
        time.sleep(rng.uniform(0.0, 0.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        loaded = store.load_job(keeper.jobStoreID)
        assert loaded.unitName in ("", "A" * 50_000, "B" * 3, "C" * 9_000)
        for desc in store.jobs():  # at most the leaf being written when it died, complete
            assert desc.jobName in ("keeper", "leaf")
    store.discard_temporary_files()
    assert tmp_names(store) == []
