"""The contract every job store keeps, as a pytest suite to subclass.

::

    from toil_core.testing import JobStoreContract

    class TestMyJobStore(JobStoreContract):
        job_store_name = "myjs"                 # the locator scheme

        @pytest.fixture
        def locator(self, tmp_path):            # a fresh, not yet existing job store
            return f"myjs:test-{uuid.uuid4().hex}"

Fixtures to override: ``locator`` (needed for every scheme but ``file``), ``job_store_factory``
(locator -> uninitialized job store; default: the installed plugin's class), ``config``,
``job_store`` (an initialized store, destroyed afterwards) and ``capabilities``. URL import and
export run when the spec declares ``import`` / ``export``; encryption when it declares
``encryption``; the leader lock (``acquire_leader_lock``: a second leader refused, a SIGKILLed
leader's lock taken over at once on the same host) when it declares ``leader_lock``.
"""
from __future__ import annotations

import os
import select
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, FrozenSet, List, Optional

import pytest

from toil_core.job.description import JobDescription
from toil_core.jobstores.errors import (
    JobStoreExistsException,
    JobStoreInUseError,
    NoSuchFileException,
    NoSuchJobException,
    NoSuchJobStoreException,
)
from toil_core.jobstores.locator import make_job_store
from toil_core.plugins.registry import get_spec
from toil_core.job.attempt_files import attempt_scoped

from ._support import SubclassesAreTests, make_config

__all__ = ["JobStoreContract"]

CONTENT = b"toil job store contract\n" * 64


class JobStoreContract(SubclassesAreTests):
    """Create/load/update/delete jobs, files, streams, shared files, stats and logs, the root
    job, resume and destroy; URL import/export and encryption when capable."""

    __test__ = False

    #: The locator scheme; None means: override ``job_store_factory`` and ``locator``.
    job_store_name: Optional[str] = None

    # ------------------------------------------------------------------ fixtures
    @pytest.fixture
    def spec(self) -> Any:
        if not self.job_store_name:
            return None

        return get_spec("job_store", self.job_store_name)

    @pytest.fixture
    def capabilities(self, spec: Any) -> FrozenSet[str]:
        return frozenset(spec.capabilities) if spec is not None else frozenset()

    @pytest.fixture
    def locator(self, tmp_path: Path) -> str:
        if self.job_store_name in (None, "file"):
            return f"file:{tmp_path / 'jobstore'}"
        pytest.fail(f"Override the locator fixture: a fresh locator for the {self.job_store_name!r} scheme.")

    @pytest.fixture
    def job_store_factory(self, spec: Any) -> Callable[[str], Any]:
        return make_job_store

    @pytest.fixture
    def config(self, tmp_path: Path) -> Any:
        config = make_config(tmp_path / "work")
        config.workflowID = None  # initialize() assigns one
        return config

    @pytest.fixture
    def job_store(self, job_store_factory: Callable[[str], Any], locator: str, config: Any) -> Any:
        store = job_store_factory(locator)
        store.initialize(config)
        yield store
        store.destroy()

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def new_job(store: Any, name: str = "contract", **fields: Any) -> Any:
        desc = JobDescription(jobName=name, **fields)
        store.assign_job_id(desc)
        store.create_job(desc)
        return desc

    @staticmethod
    def read(store: Any, file_id: str) -> bytes:
        with store.read_file_stream(file_id) as handle:
            return handle.read()

    @staticmethod
    def require(capabilities: FrozenSet[str], capability: str) -> None:
        if capability not in capabilities:
            pytest.skip(f"the job store does not declare the {capability!r} capability")

    # ------------------------------------------------------------------ lifecycle
    def test_initialize_gives_a_workflow_id_and_resume_finds_it(self, job_store: Any,
                                                                 job_store_factory: Any, locator: str) -> None:
        workflow_id = job_store.config.workflowID
        assert workflow_id
        other = job_store_factory(locator)
        other.resume()
        assert other.config.workflowID == workflow_id

    def test_initialize_twice_is_refused(self, job_store: Any, job_store_factory: Any, locator: str) -> None:
        with pytest.raises(JobStoreExistsException):
            job_store_factory(locator).initialize(make_config())

    def test_resume_of_a_missing_store_raises(self, job_store_factory: Any, locator: str) -> None:
        with pytest.raises(NoSuchJobStoreException):
            job_store_factory(locator).resume()

    def test_destroy_removes_everything_and_is_idempotent(self, job_store_factory: Any, locator: str,
                                                          config: Any) -> None:
        store = job_store_factory(locator)
        store.initialize(config)
        self.new_job(store)
        store.destroy()
        store.destroy()
        with pytest.raises(NoSuchJobStoreException):
            job_store_factory(locator).resume()

    # ------------------------------------------------------------------ jobs
    def test_create_and_load_a_job(self, job_store: Any) -> None:
        job = self.new_job(job_store, "first", memory=123456, cores=2.5, disk=789)
        assert job.jobStoreID
        assert job_store.job_exists(job.jobStoreID)
        loaded = job_store.load_job(job.jobStoreID)
        assert (loaded.jobName, loaded.memory, loaded.cores, loaded.disk) == ("first", 123456, 2.5, 789)

    def test_job_ids_are_unique(self, job_store: Any) -> None:
        ids = {self.new_job(job_store).jobStoreID for _ in range(10)}
        assert len(ids) == 10

    def test_update_a_job(self, job_store: Any) -> None:
        job = self.new_job(job_store)
        job.remainingTryCount = 7
        job.children.append("child-id")
        job_store.update_job(job)
        loaded = job_store.load_job(job.jobStoreID)
        assert loaded.remainingTryCount == 7 and loaded.children == ["child-id"]

    def test_delete_a_job(self, job_store: Any) -> None:
        job = self.new_job(job_store)
        job_store.delete_job(job.jobStoreID)
        assert not job_store.job_exists(job.jobStoreID)
        with pytest.raises(NoSuchJobException):
            job_store.load_job(job.jobStoreID)
        job_store.delete_job(job.jobStoreID)  # idempotent

    def test_load_jobs_reads_several_and_none_for_a_deleted_one(self, job_store: Any) -> None:
        jobs = [self.new_job(job_store, f"many{i}", memory=1000 + i) for i in range(5)]
        job_store.delete_job(jobs[2].jobStoreID)
        ids = [job.jobStoreID for job in jobs]
        found = job_store.load_jobs(ids)
        assert list(found) == ids
        assert found[ids[2]] is None
        assert [found[i].memory for i in ids if i != ids[2]] == [1000, 1001, 1003, 1004]

    def test_jobs_lists_every_job(self, job_store: Any) -> None:
        ids = {self.new_job(job_store, f"job{i}").jobStoreID for i in range(5)}
        assert {job.jobStoreID for job in job_store.jobs()} >= ids

    def test_root_job(self, job_store: Any) -> None:
        root = job_store.create_root_job(JobDescription(jobName="root"))
        assert job_store.load_root_job().jobStoreID == root.jobStoreID

    # ------------------------------------------------------------------ files
    def test_write_read_update_delete_a_file(self, job_store: Any, tmp_path: Path) -> None:
        local = tmp_path / "input.bin"
        local.write_bytes(CONTENT)
        file_id = job_store.write_file(str(local))
        assert job_store.file_exists(file_id)
        assert job_store.get_file_size(file_id) == len(CONTENT)
        copy = tmp_path / "copy.bin"
        job_store.read_file(file_id, str(copy))
        assert copy.read_bytes() == CONTENT
        local.write_bytes(b"updated")
        job_store.update_file(file_id, str(local))
        assert self.read(job_store, file_id) == b"updated"
        job_store.delete_file(file_id)
        assert not job_store.file_exists(file_id)
        with pytest.raises(NoSuchFileException):
            self.read(job_store, file_id)
        job_store.delete_file(file_id)  # idempotent

    def test_file_streams(self, job_store: Any) -> None:
        with job_store.write_file_stream() as (handle, file_id):
            handle.write(CONTENT)
        assert self.read(job_store, file_id) == CONTENT
        with job_store.update_file_stream(file_id) as handle:
            handle.write(b"second version")
        assert self.read(job_store, file_id) == b"second version"
        with job_store.write_file_stream(encoding="utf-8") as (handle, text_id):
            handle.write("text \u2713")
        with job_store.read_file_stream(text_id, encoding="utf-8") as handle:
            assert handle.read() == "text \u2713"

    def test_empty_file(self, job_store: Any) -> None:
        file_id = job_store.get_empty_file_store_id()
        assert job_store.file_exists(file_id) and self.read(job_store, file_id) == b""

    def test_reserved_file_is_written_and_rewritten(self, job_store: Any) -> None:
        """Return values: an ID handed out first, the file written when the job finishes (again
        if the job reruns)."""
        file_id = job_store.reserve_file_id()
        assert file_id != job_store.reserve_file_id()
        for content in (b"first attempt", b"second"):
            with job_store.write_reserved_file_stream(file_id) as handle:
                handle.write(content)
            assert self.read(job_store, file_id) == content

    @pytest.mark.parametrize("size", [16, 100_000])
    def test_a_return_value_outlives_its_job(self, job_store: Any, job_store_factory: Any, locator: str,
                                             size: int) -> None:
        """What the worker's commit does with a job's return value (``store_return_value``, then
        the final update, or the deletion of a leaf): the value stays readable at the ID its
        promises hold, from another process too, whether the store keeps it in the job's record
        or in a file."""
        job = self.new_job(job_store)
        view = attempt_scoped(job_store, job.jobStoreID)
        job.rv_file_id = view.reserve_return_value_id(job.jobStoreID)
        job_store.update_job(job)
        value = os.urandom(size)
        view.store_return_value(job, value)
        job.body_id = None
        view.update_job(job)
        view.delete_job(job.jobStoreID)
        assert not job_store.job_exists(job.jobStoreID)
        assert job.jobStoreID not in {desc.jobStoreID for desc in job_store.jobs()}
        assert self.read(job_store, job.rv_file_id) == value
        other = job_store_factory(locator)
        other.resume()
        assert self.read(other, job.rv_file_id) == value
        assert not other.job_exists(job.jobStoreID)

    def test_reserved_files_of_a_job_attempt_are_distinct(self, job_store: Any) -> None:
        """A worker reserves return-value files through an attempt-scoped view of the store
        (``toil_core.job.attempt_files``), which may name them with the store's own helper:
        each must get its own file, or promises get each other's values."""
        job = self.new_job(job_store)
        view = attempt_scoped(job_store, job.jobStoreID)
        ids = [view.reserve_file_id() for _ in range(3)]
        assert len(set(ids)) == 3, ids
        for number, file_id in enumerate(ids):
            with view.write_reserved_file_stream(file_id) as handle:
                handle.write(b"value %d" % number)
        assert [self.read(job_store, file_id) for file_id in ids] == [b"value 0", b"value 1", b"value 2"]

    def test_files_written_for_a_job_go_with_it(self, job_store: Any) -> None:
        job = self.new_job(job_store)
        with job_store.write_file_stream(job_id=job.jobStoreID, cleanup=True) as (handle, owned):
            handle.write(b"owned by the job")
        with job_store.write_file_stream(job_id=job.jobStoreID, cleanup=False) as (handle, kept):
            handle.write(b"outlives the job")
        job_store.delete_job(job.jobStoreID)
        assert not job_store.file_exists(owned)
        assert job_store.file_exists(kept)

    def test_public_url_is_readable(self, job_store: Any) -> None:
        with job_store.write_file_stream() as (handle, file_id):
            handle.write(CONTENT)
        with urllib.request.urlopen(job_store.get_public_url(file_id)) as response:
            assert response.read() == CONTENT

    # ------------------------------------------------------------------ shared files
    def test_shared_files(self, job_store: Any) -> None:
        with job_store.write_shared_file_stream("contract-shared") as handle:
            handle.write(b"first")
        with job_store.write_shared_file_stream("contract-shared") as handle:
            handle.write(b"second")
        with job_store.read_shared_file_stream("contract-shared") as handle:
            assert handle.read() == b"second"
        with pytest.raises(NoSuchFileException):
            with job_store.read_shared_file_stream("contract-never-written") as handle:
                handle.read()

    def test_bad_shared_file_names_are_refused(self, job_store: Any) -> None:
        with pytest.raises(ValueError):
            with job_store.write_shared_file_stream("no/slashes allowed") as handle:
                handle.write(b"x")

    # ------------------------------------------------------------------ stats and logs
    def test_stats_and_logs(self, job_store: Any) -> None:
        job_store.write_logs(b"first blob")
        job_store.write_logs("second blob")
        seen: List[bytes] = []
        assert job_store.read_logs(lambda handle: seen.append(handle.read())) == 2
        assert sorted(seen) == [b"first blob", b"second blob"]
        assert job_store.read_logs(lambda handle: seen.append(handle.read())) == 0
        again: List[bytes] = []
        assert job_store.read_logs(lambda handle: again.append(handle.read()), read_all=True) == 2
        assert sorted(again) == [b"first blob", b"second blob"]

    # ------------------------------------------------------------------ import / export
    def test_import_from_a_file_url(self, job_store: Any, capabilities: FrozenSet[str], tmp_path: Path) -> None:
        self.require(capabilities, "import")
        source = tmp_path / "to-import.txt"
        source.write_bytes(CONTENT)
        file_id = job_store.import_file(source.as_uri())
        assert self.read(job_store, file_id) == CONTENT
        assert job_store.import_file(source.as_uri(), shared_file_name="contract-imported") is None
        with job_store.read_shared_file_stream("contract-imported") as handle:
            assert handle.read() == CONTENT

    def test_export_to_a_file_url(self, job_store: Any, capabilities: FrozenSet[str], tmp_path: Path) -> None:
        self.require(capabilities, "export")
        with job_store.write_file_stream() as (handle, file_id):
            handle.write(CONTENT)
        destination = tmp_path / "exported" / "out.txt"
        destination.parent.mkdir()
        job_store.export_file(file_id, destination.as_uri())
        assert destination.read_bytes() == CONTENT

    def test_import_of_a_missing_url_fails(self, job_store: Any, capabilities: FrozenSet[str],
                                           tmp_path: Path) -> None:
        self.require(capabilities, "import")
        with pytest.raises(Exception):
            job_store.import_file((tmp_path / "does-not-exist").as_uri())

    # ------------------------------------------------------------------ encryption
    @pytest.mark.parametrize("client_side", [False, True], ids=["sseKey", "clientSideEncryption"])
    def test_encrypted_round_trip(self, job_store_factory: Any, locator: str, capabilities: FrozenSet[str],
                                  tmp_path: Path, client_side: bool, monkeypatch: Any) -> None:
        """``--sseKey`` alone (the store's own meaning: client-side on file:, the server's key on
        cloud stores) and with ``--clientSideEncryption``: data round-trips, and another key or
        none is refused before anything is read."""
        self.require(capabilities, "encryption")
        monkeypatch.delenv("TOIL_SSE_KEY", raising=False)
        key = tmp_path / "sse.key"
        key.write_text(os.urandom(16).hex())
        store = job_store_factory(locator)
        store.initialize(make_config(sseKey=str(key), clientSideEncryption=client_side))
        try:
            store.write_logs(b"a sealed log")
            seen: List[bytes] = []
            assert store.read_logs(lambda handle: seen.append(handle.read())) == 1
            assert seen == [b"a sealed log"]
            with store.write_file_stream() as (handle, file_id):
                handle.write(CONTENT)
            assert self.read(store, file_id) == CONTENT
            with store.write_shared_file_stream("contract-secret", encrypted=True) as handle:
                handle.write(CONTENT)
            with store.read_shared_file_stream("contract-secret") as handle:
                assert handle.read() == CONTENT
            wrong = tmp_path / "wrong.key"
            wrong.write_text(os.urandom(16).hex())
            for key_path in (str(wrong), None):  # another key, and none: refused before any read
                other = job_store_factory(locator)
                other.provide_key(key_path)
                with pytest.raises(Exception, match="key"):
                    other.resume()
            right = job_store_factory(locator)
            right.provide_key(str(key))
            right.resume()
            assert self.read(right, file_id) == CONTENT
            assert right.get_file_size(file_id) == len(CONTENT)
            again: List[bytes] = []
            assert right.read_logs(lambda handle: again.append(handle.read()), read_all=True) == 1
            assert again == [b"a sealed log"]
        finally:
            store.destroy()

    # ------------------------------------------------------------------ leader lock
    def test_leader_lock_keeps_a_second_leader_off(self, job_store: Any, capabilities: FrozenSet[str]) -> None:
        self.require(capabilities, "leader_lock")
        lock = job_store.acquire_leader_lock()
        try:
            with pytest.raises(JobStoreInUseError):
                job_store.acquire_leader_lock()
        finally:
            lock.release()
        job_store.acquire_leader_lock().release()  # free again once released

    def test_leader_lock_of_a_killed_leader_does_not_block(self, job_store: Any, locator: str,
                                                           capabilities: FrozenSet[str]) -> None:
        """A live leader in another process keeps the lock (the refusal names its pid); once it is
        SIGKILLed, the next leader (``--restart``) takes the lock at once."""
        self.require(capabilities, "leader_lock")
        script = ("import sys, time\n"
                  "from toil_core.jobstores.locator import make_job_store\n"
                  "store = make_job_store(sys.argv[1]); store.resume()\n"
                  "lock = store.acquire_leader_lock()\n"
                  "print('locked', flush=True); time.sleep(600)\n")
        holder = subprocess.Popen([sys.executable, "-c", script, locator], stdout=subprocess.PIPE, text=True)
        assert holder.stdout is not None
        try:
            deadline = time.monotonic() + 60
            line = ""
            while not line and time.monotonic() < deadline and holder.poll() is None:
                ready, _, _ = select.select([holder.stdout], [], [], 1.0)
                if ready:
                    line = holder.stdout.readline().strip()
            assert line == "locked", f"the lock holder did not start (exit status {holder.poll()})"
            with pytest.raises(JobStoreInUseError, match=f"pid {holder.pid}"):
                job_store.acquire_leader_lock()
        finally:
            holder.kill()
            holder.wait()
        job_store.acquire_leader_lock().release()
