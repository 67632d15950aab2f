"""Rescue of jobs the batch system no longer knows (FEATURES 4.6, --rescueJobsFrequency): each check
that misses an issued job publishes JobMissingMessage and warns; the third miss kills it and reports it
KILLED so the leader retries it."""
from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any, Dict, List

from toil_core.batch.abstract import BatchJobExitReason
from toil_core.bus import JobMissingMessage, MessageBus
from toil_core.leader.messages import LeaderMessages
from toil_core.leader.periodic import PeriodicChecks
from toil_core.leader.tracker import JobTracker


class ForgetfulBatchSystem:
    """Knows only the batch jobs in ``known``."""

    def __init__(self, known: List[int]) -> None:
        self.known = known
        self.killed: List[int] = []

    def getRunningBatchJobIDs(self) -> Dict[int, float]:
        return {}

    def getIssuedBatchJobIDs(self) -> List[int]:
        return list(self.known)

    def killBatchJobs(self, ids: List[int]) -> None:
        self.killed += ids


class Checks:
    """The leader's periodic checks over a forgetful batch system, with the finished batch jobs
    they report collected in ``reported``."""

    def __init__(self, batch_system: ForgetfulBatchSystem, issued: Dict[int, str]) -> None:
        config = SimpleNamespace(rescueJobsFrequency=0, maxJobDuration=1 << 62)
        tracker = JobTracker(job_store=None)  # type: ignore[arg-type]  # rescue reads no job
        tracker.issued.update(issued)
        messages = LeaderMessages.__new__(LeaderMessages)
        messages.bus = MessageBus()
        self.reported: List[Any] = []
        self.periodic = PeriodicChecks(config, None, batch_system, tracker,  # type: ignore[arg-type]
                                       None, None, messages, self.reported.append)  # type: ignore[arg-type]
        self.batch_system = batch_system
        self.messages = messages

    def rescue(self) -> None:
        self.periodic._last_rescue = 0.0
        self.periodic.rescue()


def test_missing_job_is_announced_then_killed_on_the_third_check(caplog):
    leader = Checks(ForgetfulBatchSystem(known=[1]), {1: "kept-job", 2: "lost-job"})
    inbox = leader.messages.bus.connect([JobMissingMessage])
    caplog.set_level(logging.WARNING, logger="toil_core.leader.leader")
    for _ in range(2):
        leader.rescue()
    assert [m.job_id for m in inbox.for_each(JobMissingMessage)] == ["lost-job", "lost-job"]
    assert leader.batch_system.killed == [] and leader.reported == []
    assert "Job store ID lost-job with batch system id 2 is missing for the 2 time" in caplog.text
    leader.rescue()
    assert leader.batch_system.killed == [2]
    [update] = leader.reported
    assert (update.jobID, update.exitReason) == (2, BatchJobExitReason.KILLED)


def test_job_seen_again_starts_counting_afresh():
    system = ForgetfulBatchSystem(known=[])
    leader = Checks(system, {7: "flaky-job"})
    for known in ([], [], [7], [], []):
        system.known = known
        leader.rescue()
    assert system.killed == [] and leader.periodic._missing_counts == {7: 2}
