"""The leader's part for checkpoint jobs: rerun a checkpoint whose subtree failed completely."""
from __future__ import annotations

import collections
import logging
from typing import Callable, Iterable, Iterator, List, Optional, Set

from toil_core.job.commit import reset_checkpoint
from toil_core.job.description import SERVICE, JobDescription

logger = logging.getLogger("toil_core.leader.leader")


def _walk(start: Iterable[str], neighbours: Callable[[str], Iterable[str]]) -> Iterator[str]:
    """Every job reachable from ``start`` through ``neighbours``, once each, depth first."""
    seen: Set[str] = set()
    stack = list(start)
    while stack:
        job_id = stack.pop()
        if job_id in seen:
            continue
        seen.add(job_id)
        yield job_id
        stack.extend(neighbours(job_id))


class CheckpointsMixin:
    """Methods of :class:`~toil_core.leader.leader.Leader` about checkpoint jobs."""

    def _checkpoint_ancestor(self, job_id: str) -> Optional[JobDescription]:
        for ancestor_id in _walk(self.parents_of.get(job_id), self.parents_of.get):
            ancestor = self.descs.get(ancestor_id)
            if ancestor is not None and ancestor.checkpoint and ancestor.checkpoint_body_id:
                if ancestor.remainingTryCount > 1:
                    return ancestor
                return None
        return None

    def _subtree(self, desc: JobDescription) -> List[str]:
        def below(job_id: str) -> List[str]:
            child = self._load(job_id)
            return [] if child is None else list(child.successors()) + list(child.services)

        return list(_walk(list(desc.successors()) + list(desc.services), below))

    def _restart_checkpoint(self, desc: JobDescription) -> None:
        """Throw away the checkpoint's subtree and run the checkpoint again.

        Ordinary jobs of the subtree are killed at once. Running services are told to stop (with
        an error) instead, so their stop() can release what they hold; the checkpoint reruns once
        they are gone. Until then the store is untouched: a crash meanwhile is repaired by
        ``--restart``, which reruns started checkpoints anyway.
        """
        logger.warning("Job %s is being restarted as a checkpoint after the total failure of jobs in its subtree.", desc)
        subtree = self._subtree(desc)
        subtree_set = set(subtree)
        running_hosts = {j for j in subtree if j in self.batch_id_of
                         and getattr(self.descs.get(j), "kind", None) == SERVICE}
        to_kill = [self.batch_id_of[j] for j in subtree if j in self.batch_id_of and j not in running_hosts]
        if to_kill:
            self.batch_system.killBatchJobs(to_kill)  # killed jobs never report back
        for host_id in running_hosts:
            self._signal_stop(host_id, error=True)
        for job_id in subtree:
            if job_id in running_hosts:
                host = self.descs.get(job_id)
                self._forget(job_id)
                if host is not None:
                    self.descs[job_id] = host  # its exit must still reach _on_service_exit
                self.retiring[job_id] = str(desc.jobStoreID)
                continue
            batch_id = self.batch_id_of.pop(job_id, None)
            if batch_id is not None:
                self.issued.pop(batch_id, None)
                self._missing_counts.pop(batch_id, None)
            self._forget(job_id)
        # Forget the subtree everywhere, queues included, so nothing of it comes back later.
        self.ready = collections.deque(d for d in self.ready if d.jobStoreID not in subtree_set)
        self.service_queue = collections.deque(d for d in self.service_queue if d.jobStoreID not in subtree_set)
        self._phase_queue = collections.deque(d for d in self._phase_queue if d.jobStoreID not in subtree_set)
        for state in (self.waiting_on, self.started_services, self.services_starting, self.services_stopping):
            state.pop(desc.jobStoreID, None)
        self.failed_successors.discard(desc.jobStoreID)
        desc.remainingTryCount -= 1
        if running_hosts:
            self.checkpoint_waits[str(desc.jobStoreID)] = (desc, subtree, set(running_hosts))
            return
        self._rerun_checkpoint(desc, subtree)

    def _rerun_checkpoint(self, desc: JobDescription, subtree: List[str]) -> None:
        reset_checkpoint(self.job_store, desc, subtree)
        self.descs[desc.jobStoreID] = desc
        self.ready.append(desc)

    def _forget(self, job_id: str) -> None:
        """Drop every piece of in-memory state about a job (deleted by a checkpoint restart)."""
        for state in (self.descs, self.waiting_on, self.released, self.failed, self.parents_of,
                      self.started_services, self.services_starting, self.services_stopping,
                      self.hosts_awaiting_start, self.hosts_waiting_parent, self.service_client):
            state.pop(job_id, None)  # type: ignore[attr-defined]
        self.failed_successors.discard(job_id)

    def _restart_enclosing_checkpoint(self, job_id: str) -> bool:
        """Rerun the checkpoint that is ``job_id`` or encloses it, if it has tries left."""
        desc = self.descs.get(job_id)
        if desc is not None and desc.checkpoint and desc.checkpoint_body_id and desc.body_id is None:
            if desc.remainingTryCount > 1:
                self._restart_checkpoint(desc)
                return True
            return False
        checkpoint = self._checkpoint_ancestor(job_id)
        if checkpoint is not None:
            self._restart_checkpoint(checkpoint)
            return True
        return False
