"""The leader's part for checkpoint jobs: rerun a checkpoint whose subtree failed completely."""
from __future__ import annotations

import logging
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Set, Tuple

from toil_core.batch.abstract import AbstractBatchSystem
from toil_core.job.commit import reset_checkpoint, stored_subtree
from toil_core.job.description import SERVICE, JobDescription
from toil_core.jobstores.abstract import AbstractJobStore
from toil_core.leader.services import Services
from toil_core.leader.tracker import JobTracker

__all__ = ["Checkpoints"]

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


class Checkpoints:
    """Reruns checkpoint jobs; owns the restarts that wait for services of the old subtree."""

    def __init__(self, job_store: AbstractJobStore, batch_system: AbstractBatchSystem,
                 tracker: JobTracker, services: Services) -> None:
        self.job_store = job_store
        self.batch_system = batch_system
        self.tracker = tracker
        self.services = services
        #: Running services of a restarting checkpoint's old subtree -> the checkpoint's ID.
        self.retiring: Dict[str, str] = {}
        #: checkpoint ID -> (its description, its old subtree, services still to exit).
        self.waits: Dict[str, Tuple[JobDescription, List[str], Set[str]]] = {}

    def is_retiring(self, host_id: str) -> bool:
        """Whether ``host_id`` is a service of a restarting checkpoint's old subtree."""
        return host_id in self.retiring

    def ancestor(self, job_id: str) -> Optional[JobDescription]:
        """The nearest checkpoint above ``job_id`` if it has tries left (None otherwise)."""
        tracker = self.tracker
        for ancestor_id in _walk(tracker.parents_of.get(job_id), tracker.parents_of.get):
            ancestor = tracker.descs.get(ancestor_id)
            if ancestor is not None and ancestor.checkpoint and ancestor.checkpoint_body_id:
                if ancestor.remainingTryCount > 1:
                    return ancestor
                return None
        return None

    def restart(self, desc: JobDescription) -> None:
        """Throw away the checkpoint's subtree and run the checkpoint again.

        Ordinary jobs of the subtree are killed at once. Running services are told to stop (with
        an error) instead, so their stop() can release what they hold; the checkpoint reruns once
        they are gone. Until then the store is untouched: a crash meanwhile is repaired by
        ``--restart``, which reruns started checkpoints anyway.
        """
        logger.warning("Job %s is being restarted as a checkpoint after the total failure of jobs in its subtree.", desc)
        tracker, services = self.tracker, self.services
        subtree = stored_subtree(self.job_store, desc)
        subtree_set = set(subtree)
        running_hosts = {j for j in subtree if j in tracker.batch_id_of
                         and getattr(tracker.descs.get(j), "kind", None) == SERVICE}
        to_kill = [tracker.batch_id_of[j] for j in subtree if j in tracker.batch_id_of and j not in running_hosts]
        if to_kill:
            self.batch_system.killBatchJobs(to_kill)  # killed jobs never report back
        for host_id in running_hosts:
            services.signal_stop(host_id, error=True)
        for job_id in subtree:
            if job_id in running_hosts:
                host = tracker.descs.get(job_id)
                self._forget(job_id)
                if host is not None:
                    tracker.descs[job_id] = host  # its exit must still reach service_exited
                self.retiring[job_id] = str(desc.stored_id)
                continue
            batch_id = tracker.batch_id_of.pop(job_id, None)
            if batch_id is not None:
                tracker.issued.pop(batch_id, None)
            self._forget(job_id)
        # Forget the subtree everywhere, queues included, so nothing of it comes back later.
        tracker.drop_queued(subtree_set)
        services.drop_queued(subtree_set)
        tracker.waiting_on.pop(desc.stored_id, None)
        services.forget_client(desc.stored_id)
        tracker.failed_successors.discard(desc.stored_id)
        desc.remainingTryCount -= 1
        if running_hosts:
            self.waits[str(desc.stored_id)] = (desc, subtree, set(running_hosts))
            return
        self._rerun(desc, subtree)

    def _rerun(self, desc: JobDescription, subtree: List[str]) -> None:
        reset_checkpoint(self.job_store, desc, subtree)
        self.tracker.descs[desc.stored_id] = desc
        self.tracker.ready.append(desc)

    def _forget(self, job_id: str) -> None:
        """Drop every piece of in-memory state about a job (deleted by a checkpoint restart)."""
        self.tracker.forget(job_id)
        self.services.forget(job_id)

    def service_exited(self, host_id: str) -> bool:
        """A host's batch job ended. True if it was a service of a restarting checkpoint's old
        subtree (the checkpoint reruns once the last of them exited); nothing else is to be done."""
        checkpoint_id = self.retiring.pop(host_id, None)
        if checkpoint_id is None:
            return False
        self.tracker.descs.pop(host_id, None)
        wait = self.waits.get(checkpoint_id)
        if wait is not None:
            wait[2].discard(host_id)
            if not wait[2]:
                del self.waits[checkpoint_id]
                self._rerun(wait[0], wait[1])
        return True

    def restart_enclosing(self, job_id: str) -> bool:
        """Rerun the checkpoint that is ``job_id`` or encloses it, if it has tries left."""
        desc = self.tracker.descs.get(job_id)
        if desc is not None and desc.checkpoint and desc.checkpoint_body_id and desc.body_id is None:
            if desc.remainingTryCount > 1:
                self.restart(desc)
                return True
            return False
        checkpoint = self.ancestor(job_id)
        if checkpoint is not None:
            self.restart(checkpoint)
            return True
        return False
