"""Upstream's ``ToilState`` (the leader's scheduling state), on this engine's :class:`JobTracker`.

The leader here keeps its state in a :class:`~toil_core.leader.tracker.JobTracker`; ToilState is
that tracker with upstream's method names, for code that builds the state of a stored workflow
itself (to list its jobs, or count what is left): the one in-memory copy of each job's
description, and how many successors of each job have not finished yet.
"""
from __future__ import annotations

import logging
from typing import Dict, Optional

from toil_core.job.description import JobDescription
from toil_core.jobstores.abstract import AbstractJobStore
from toil_core.leader.tracker import JobTracker

__all__ = ["ToilState"]

logger = logging.getLogger("toil_core.leader.toil_state")


class ToilState:
    """The single in-memory copies of a workflow's job descriptions and the count of pending
    successors of each job; descriptions are read and written through this object, by ID."""

    def __init__(self, jobStore: AbstractJobStore) -> None:
        self.tracker = JobTracker(jobStore)

    @property
    def job_store(self) -> AbstractJobStore:
        return self.tracker.job_store

    def load_workflow(self, rootJob: JobDescription, jobCache: Optional[Dict[str, JobDescription]] = None) -> None:
        """Load every stored job reachable from ``rootJob`` (through its successors and services),
        taking descriptions from ``jobCache`` (job ID -> description) when it has them. Jobs that
        are gone (finished and deleted) are skipped."""
        cache = jobCache or {}
        pending = [rootJob]
        while pending:
            desc = pending.pop()
            job_id = desc.stored_id
            if job_id in self.tracker.descs:
                continue
            self.tracker.descs[job_id] = desc
            for next_id in [*desc.successors(), *desc.services]:
                if next_id in self.tracker.descs:
                    continue
                found = cache.get(next_id) or self.tracker.load(next_id)
                if found is not None:
                    pending.append(found)

    def job_exists(self, job_id: str) -> bool:
        """Whether the job is loaded here or stored now (False once it is deleted)."""
        return job_id in self.tracker.descs or self.job_store.job_exists(job_id)

    def get_job(self, job_id: str) -> JobDescription:
        """The one in-memory description of ``job_id`` (loaded from the store the first time);
        NoSuchJobException if there is no such job."""
        desc = self.tracker.descs.get(job_id)
        if desc is None:
            desc = self.job_store.load_job(job_id)
            self.tracker.descs[job_id] = desc
        return desc

    def commit_job(self, job_id: str) -> None:
        """Write the in-memory description of ``job_id`` back to the store (atomically)."""
        self.tracker.store(self.get_job(job_id))

    def delete_job(self, job_id: str) -> None:
        """Forget ``job_id`` and delete it from the store."""
        self.tracker.forget(job_id)
        self.job_store.delete_job(job_id)

    def reset_job(self, job_id: str) -> None:
        """Drop the in-memory changes to ``job_id``: the next :meth:`get_job` reads the stored one."""
        self.tracker.descs.pop(job_id, None)

    def successors_pending(self, predecessor_id: str, count: int) -> None:
        """``predecessor_id`` has ``count`` more successors that have not finished."""
        self.tracker.waiting_on[predecessor_id] = self.tracker.waiting_on.get(predecessor_id, 0) + count

    def successor_returned(self, predecessor_id: str) -> None:
        """One successor of ``predecessor_id`` finished (succeeded or failed)."""
        left = self.tracker.waiting_on.get(predecessor_id, 0)
        if left <= 0:
            raise RuntimeError(f"Job {predecessor_id} has no pending successor to return.")
        if left == 1:
            del self.tracker.waiting_on[predecessor_id]
        else:
            self.tracker.waiting_on[predecessor_id] = left - 1

    def count_pending_successors(self, predecessor_id: str) -> int:
        """How many successors of ``predecessor_id`` have not finished yet."""
        return self.tracker.waiting_on.get(predecessor_id, 0)
