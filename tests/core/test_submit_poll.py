"""SubmitAndPollBatchSystem's own API (toil_core.plugin_api), driven by an in-memory scheduler that
implements only submit / query_jobs / kill_jobs (toil-hpc's tests cover the rest of the machinery
through its schedulers)."""
from __future__ import annotations

import os
import sys
import time
from typing import Any, Dict, List

import pytest
from toil_core.plugin_api import (JOB_DONE, JOB_RUNNING, BatchJobExitReason, SchedulerJobStatus,
                                  SubmitAndPollBatchSystem, SubmittedJob, ToilError)
from toil_core.testing import make_config, make_job_description


class QueueDown(ToilError):
    pass


class DictScheduler(SubmitAndPollBatchSystem):
    """Each job ends with the exit code its command names (``exit N``) on the second poll."""

    submit_retries = 2
    failures_before_success = 0

    def __init__(self, *args: Any) -> None:
        self.jobs: Dict[str, Dict[str, Any]] = {}
        self.submit_calls = 0
        self.killed: List[str] = []
        super().__init__(*args)

    def submit(self, job: SubmittedJob) -> str:
        self.submit_calls += 1
        if self.submit_calls <= self.failures_before_success:
            raise QueueDown("the queue is down")
        if job.command == "not transient":
            raise ValueError("a bad request")
        scheduler_id = f"q{len(self.jobs)}"
        self.jobs[scheduler_id] = {"job": job, "polls": 0}
        return scheduler_id

    def query_jobs(self, scheduler_ids: List[str]) -> Dict[str, SchedulerJobStatus]:
        answer = {}
        for scheduler_id in scheduler_ids:
            record = self.jobs[scheduler_id]
            record["polls"] += 1
            if record["polls"] < 2:
                answer[scheduler_id] = SchedulerJobStatus(JOB_RUNNING, elapsed=0.0)
            else:
                answer[scheduler_id] = SchedulerJobStatus(JOB_DONE, int(record["job"].command.split()[-1]), elapsed=1.5)
        return answer

    def kill_jobs(self, scheduler_ids: List[str]) -> None:
        self.killed += scheduler_ids


@pytest.fixture
def scheduler(tmp_path):
    made = []

    def build(**overrides: Any) -> DictScheduler:
        system = DictScheduler(make_config(tmp_path, statePollingWait=0.05), 4, 2**30, 2**30)
        for name, value in overrides.items():
            setattr(system, name, value)
        made.append(system)
        return system

    yield build
    for system in made:
        system.shutdown()


def test_a_job_is_submitted_polled_and_reported_once_with_its_exit_code(scheduler):
    system = scheduler()
    batch_id = system.issueBatchJob("exit 3", make_job_description())
    update = system.getUpdatedBatchJob(30)
    assert (update.jobID, update.exitStatus, update.exitReason, update.wallTime) == \
        (batch_id, 3, BatchJobExitReason.FAILED, 1.5)
    assert system.getUpdatedBatchJob(0.2) is None
    assert system.getIssuedBatchJobIDs() == []


def test_transient_submission_errors_are_retried(scheduler, monkeypatch):
    monkeypatch.setattr(time, "sleep", lambda seconds: None)  # the retry back-off
    system = scheduler(failures_before_success=2)
    system.issueBatchJob("exit 0", make_job_description())
    update = system.getUpdatedBatchJob(30)
    assert update.exitStatus == 0 and update.exitReason == BatchJobExitReason.FINISHED
    assert system.submit_calls == 3


def test_other_submission_errors_fail_the_job_at_once(scheduler):
    system = scheduler()
    system.issueBatchJob("not transient", make_job_description())
    update = system.getUpdatedBatchJob(30)
    assert update.exitReason == BatchJobExitReason.ERROR
    assert system.submit_calls == 1


def test_killed_jobs_are_killed_in_the_scheduler_and_never_reported(scheduler):
    system = scheduler()
    batch_id = system.issueBatchJob("exit 0", make_job_description())
    deadline = time.monotonic() + 30
    while not system.jobs and time.monotonic() < deadline:
        time.sleep(0.02)
    system.killBatchJobs([batch_id])
    assert system.killed == ["q0"]
    assert system.getUpdatedBatchJob(0.5) is None


def test_the_worker_is_submitted_by_its_absolute_path(scheduler):
    system = scheduler()
    command = system.worker_command("_toil_worker myJob file:/tmp/js some-id")
    program = command.split()[0]
    assert os.path.isabs(program) and os.path.basename(program) == "_toil_worker"
    assert os.path.dirname(program) == os.path.dirname(sys.executable)
    assert system.worker_command("echo hi") == "echo hi"


def test_a_scheduler_names_a_job_by_its_unit_name_before_its_class_name(scheduler):
    system = scheduler()
    named = make_job_description("TaskJob")
    named.unitName = "wf.align_reads"
    plain = make_job_description("MyJob")
    system.issueBatchJob("exit 0", named)
    system.issueBatchJob("exit 0", plain)
    deadline = time.monotonic() + 30
    while len(system.jobs) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sorted(r["job"].name for r in system.jobs.values()) == ["MyJob", "wf.align_reads"]
