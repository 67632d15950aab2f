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
from toil_core.leader.periodic import PeriodicChecksMixin


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


class StubLeader(PeriodicChecksMixin):
    def __init__(self, batch_system: ForgetfulBatchSystem, issued: Dict[int, str]) -> None:
        self.config = SimpleNamespace(rescueJobsFrequency=0, maxJobDuration=1 << 62)
        self.batch_system = batch_system
        self.issued = dict(issued)
        self.descs: Dict[str, Any] = {}
        self._missing_counts: Dict[int, int] = {}
        self._last_rescue = 0.0
        self.messages = LeaderMessages.__new__(LeaderMessages)
        self.messages.bus = MessageBus()
        self.reported: List[Any] = []

    def _on_update(self, update: Any) -> None:
        self.reported.append(update)


def test_missing_job_is_announced_then_killed_on_the_third_check(caplog):
    leader = StubLeader(ForgetfulBatchSystem(known=[1]), {1: "kept-job", 2: "lost-job"})
    inbox = leader.messages.bus.connect([JobMissingMessage])
    caplog.set_level(logging.WARNING, logger="toil_core.leader.leader")
    for _ in range(2):
        leader._last_rescue = 0.0
        leader._rescue()
    assert [m.job_id for m in inbox.for_each(JobMissingMessage)] == ["lost-job", "lost-job"]
    assert leader.batch_system.killed == [] and leader.reported == []
    assert "Job store ID lost-job with batch system id 2 is missing for the 2 time" in caplog.text
    leader._last_rescue = 0.0
    leader._rescue()
    assert leader.batch_system.killed == [2]
    [update] = leader.reported
    assert (update.jobID, update.exitReason) == (2, BatchJobExitReason.KILLED)


def test_job_seen_again_starts_counting_afresh():
    system = ForgetfulBatchSystem(known=[])
    leader = StubLeader(system, {7: "flaky-job"})
    for known in ([], [], [7], [], []):
        system.known = known
        leader._last_rescue = 0.0
        leader._rescue()
    assert system.killed == [] and leader._missing_counts == {7: 2}
