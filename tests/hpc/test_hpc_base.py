"""The shared grid-engine-style base of toil-hpc, driven by an in-memory scheduler: --maxJobs,
--statePollingWait caching, lost jobs, failing submissions, kills and --doubleMem."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from toil_core.batch.abstract import BatchJobExitReason
from hpc_support import wait_until
from toil_core.testing import make_config, make_job_description

from toil_hpc.grid_engine_base import DONE, RUNNING, AbstractGridEngineBatchSystem, JobStatus, SchedulerCommandError


class MemoryScheduler(AbstractGridEngineBatchSystem):
    """Jobs "run" for ``duration`` seconds; a job needing more than its memory ends MEMLIMIT."""

    scheduler_label = "the in-memory scheduler"
    submit_retries = 1
    duration = 0.5
    needs_memory = 0
    fail_submissions = False
    forget = False

    def __init__(self, *args: Any) -> None:
        self.submitted: Dict[str, Dict[str, Any]] = {}
        self.queries = 0
        self.query_times: List[float] = []
        self.max_active = 0
        self.killed: List[str] = []
        self.lock = threading.Lock()
        super().__init__(*args)

    def prepareSubmission(self, cpu: int, memory: int, jobID: int, command: str, jobName: str,
                          job_environment: Optional[Dict[str, str]] = None, gpus: Any = None) -> Any:
        return {"memory": memory, "command": command}

    def submitJob(self, subLine: Any) -> str:
        if self.fail_submissions:
            raise SchedulerCommandError(["submit"], 1, "the scheduler is down")
        with self.lock:
            sid = str(100 + len(self.submitted))
            self.submitted[sid] = dict(subLine, start=time.time())
            active = sum(1 for s, j in self.submitted.items() if s not in self.killed
                         and time.time() - j["start"] < self.duration)
            self.max_active = max(self.max_active, active)
        return sid

    def query_jobs(self, scheduler_ids: List[str]) -> Dict[str, JobStatus]:
        self.queries += 1
        self.query_times.append(time.monotonic())
        out = {}
        for sid in scheduler_ids:
            job = self.submitted[sid]
            age = time.time() - job["start"]
            if self.forget:
                continue
            if age < self.duration:
                out[sid] = JobStatus(RUNNING, elapsed=age)
            elif job["memory"] < self.needs_memory:
                out[sid] = JobStatus(DONE, 137, BatchJobExitReason.MEMLIMIT, age, "killed by the OOM policy")
            else:
                out[sid] = JobStatus(DONE, 0, None, age)
        return out

    def killJob(self, jobID: str) -> None:
        self.killed.append(jobID)


@pytest.fixture
def make(tmp_path: Path) -> Any:
    made = []

    def build(**values: Any) -> MemoryScheduler:
        values.setdefault("statePollingWait", 0.1)
        system = MemoryScheduler(make_config(tmp_path, **values), 4, 16 * 2**30, 16 * 2**30)
        made.append(system)
        return system

    yield build
    for system in made:
        system.shutdown()


def updates(bs: Any, count: int, timeout: float = 30) -> Dict[int, Any]:
    got: Dict[int, Any] = {}
    deadline = time.time() + timeout
    while len(got) < count and time.time() < deadline:
        update = bs.getUpdatedBatchJob(0.5)
        if update is not None:
            assert update.jobID not in got, "reported twice"
            got[update.jobID] = update
    return got


def test_max_jobs_limits_what_is_submitted_at_once(make: Any) -> None:
    bs = make(max_jobs=2)
    ids = [bs.issueBatchJob("true", make_job_description()) for _ in range(6)]
    assert "--maxJobs 2" in (bs.getSchedulingStatusMessage() or "")
    got = updates(bs, 6)
    assert sorted(got) == ids and all(u.exitStatus == 0 for u in got.values())
    assert bs.max_active <= 2


def test_state_polling_wait_caches_queries(make: Any) -> None:
    bs = make(statePollingWait=1.0)
    bs.duration = 2.5
    job = bs.issueBatchJob("true", make_job_description())
    assert wait_until(lambda: job in bs.getRunningBatchJobIDs(), 30)
    assert updates(bs, 1)[job].exitReason == BatchJobExitReason.FINISHED
    # The job took several rounds of queries to finish; no two rounds came closer than --statePollingWait
    # (a little slack for the thread's own scheduling between its clock reading and the query).
    gaps = [b - a for a, b in zip(bs.query_times, bs.query_times[1:])]
    assert len(gaps) >= 1, bs.query_times
    assert min(gaps) >= 0.9, gaps


def test_job_the_scheduler_forgot_is_lost(make: Any) -> None:
    bs = make()
    bs.forget, bs.lost_after = True, 1.0
    job = bs.issueBatchJob("true", make_job_description())
    update = updates(bs, 1)[job]
    assert (update.exitStatus, update.exitReason) == (255, BatchJobExitReason.LOST)


def test_failing_submission_is_an_error(make: Any) -> None:
    bs = make()
    bs.fail_submissions = True
    job = bs.issueBatchJob("true", make_job_description())
    update = updates(bs, 1)[job]
    assert (update.exitStatus, update.exitReason) == (255, BatchJobExitReason.ERROR)


def test_killed_job_is_never_reported(make: Any) -> None:
    bs = make()
    bs.duration = 1
    job = bs.issueBatchJob("true", make_job_description())
    assert wait_until(lambda: bs.submitted, 30), "the job was never submitted"
    bs.killBatchJobs([job])
    assert bs.killed == ["100"] and bs.getIssuedBatchJobIDs() == []
    assert updates(bs, 1, timeout=2.5) == {}


def test_memory_limit_without_double_mem(make: Any, caplog: Any) -> None:
    bs = make()
    bs.needs_memory = 300 * 2**20
    job = bs.issueBatchJob("true", make_job_description(memory=200 * 2**20))
    assert updates(bs, 1)[job].exitReason == BatchJobExitReason.MEMLIMIT
    assert "exceeded its memory limit of 200 MiB and was stopped: killed by the OOM policy" in caplog.text


def test_double_mem_resubmits_until_it_fits(make: Any) -> None:
    bs = make(doubleMem=True)
    bs.needs_memory = 700 * 2**20
    job = bs.issueBatchJob("true", make_job_description(memory=200 * 2**20))
    update = updates(bs, 1)[job]
    assert (update.exitStatus, update.exitReason) == (0, BatchJobExitReason.FINISHED)
    assert [j["memory"] // 2**20 for j in bs.submitted.values()] == [200, 400, 800]


def test_scheduler_ids_are_published_on_the_message_bus(make: Any) -> None:
    from toil_core.bus import ExternalBatchIdMessage, MessageBus

    bs = make()
    bus = MessageBus()
    inbox = bus.connect([ExternalBatchIdMessage])
    bs.set_message_bus(bus)
    jobs = [bs.issueBatchJob("true", make_job_description()) for _ in range(3)]
    assert sorted(updates(bs, 3)) == jobs
    messages = list(inbox.for_each(ExternalBatchIdMessage))
    assert sorted((m.toil_batch_id, m.batch_system) for m in messages) == [(j, "MemoryScheduler") for j in jobs]
    assert sorted(m.external_batch_id for m in messages) == sorted(bs.submitted)
