"""What the leader knows about the jobs it tracks, and what its collaborators may ask of it.

:class:`JobTracker` holds the job graph's in-memory state: the descriptions of tracked jobs, the
reverse edges, the queues of jobs ready to issue or to advance, the issued batch jobs and the
failures. The :class:`~toil_core.leader.leader.Leader` owns one and shares it with its
collaborators (services, checkpoints, periodic checks), which read it and queue jobs on it; each
collaborator owns the rest of its own state.

:class:`GraphMoves` is the interface the leader offers its collaborators back: the graph moves
(a job finished, a phase starts, a failure moves up) that only the leader makes.
"""
from __future__ import annotations

import collections
from typing import Deque, Dict, Iterable, List, Optional, Protocol, Sequence, Set

from toil_core.job.commit import update_description
from toil_core.job.created import expand_created
from toil_core.job.description import JobDescription
from toil_core.jobstores.abstract import AbstractJobStore
from toil_core.jobstores.errors import NoSuchJobException
from toil_core.leader.compact import compact
from toil_core.leader.parents import ParentIndex

__all__ = ["GraphMoves", "JobTracker"]


class JobTracker:
    """The leader's state of the job graph (shared by reference with its collaborators)."""

    def __init__(self, job_store: AbstractJobStore, compact: bool = False) -> None:
        self.job_store = job_store
        #: Whether the descriptions read share their empty lists and numbers
        #: (:func:`~toil_core.leader.compact.compact`; the leader's, not ToilState's: code using
        #: ToilState may change a description's lists in place).
        self._compact = compact
        #: Descriptions of the tracked jobs (without their inline bodies, see :meth:`load`).
        self.descs: Dict[str, JobDescription] = {}
        #: job ID -> how many successors of its current phase have not finished yet.
        self.waiting_on: Dict[str, int] = {}
        self.parents_of = ParentIndex()
        #: job ID -> how many of its predecessors have released it so far (fewer than all).
        self.released: Dict[str, int] = {}
        #: Jobs to issue, in order.
        self.ready: Deque[JobDescription] = collections.deque()
        #: Jobs that have run, queued for the leader to start their next phase (a queue, not
        #: recursion: chains are long).
        self.phase_queue: Deque[JobDescription] = collections.deque()
        #: batch ID -> job ID of the issued jobs, and the reverse.
        self.issued: Dict[int, str] = {}
        self.batch_id_of: Dict[str, int] = {}
        #: Completely failed jobs (and failed services).
        self.failed: Dict[str, JobDescription] = {}
        #: Jobs with a completely failed successor (or service): they never finish, but once
        #: nothing else below them runs their services are stopped and the failure moves up.
        self.failed_successors: Set[str] = set()
        #: job ID -> its stored description (None: deleted), read by :meth:`prefetch`.
        self._prefetched: Dict[str, Optional[JobDescription]] = {}
        #: job ID -> description of a job a worker's commit just created (see :meth:`take`).
        self._created: Dict[str, JobDescription] = {}

    def load(self, job_id: str) -> Optional[JobDescription]:
        """A job's stored description, without its inline body (None if the job is gone, that is
        finished): only the worker needs the body, and the leader may hold 100,000 pending
        descriptions (:meth:`store` puts the body back when it writes one)."""
        desc = self._read(job_id)
        if desc is not None:
            desc.created = []
            if self._compact:
                compact(desc)
        return desc

    def _read(self, job_id: str) -> Optional[JobDescription]:
        try:
            desc = self.job_store.load_job(job_id)
        except NoSuchJobException:
            return None
        desc.inline_body = None
        return desc

    def load_many(self, job_ids: Iterable[str]) -> Dict[str, Optional[JobDescription]]:
        """:meth:`load` of several jobs, read together (one round of requests on stores that
        make them in parallel, see ``AbstractJobStore.load_jobs``)."""
        wanted = list(dict.fromkeys(job_ids))
        if len(wanted) <= 1:
            return {job_id: self.load(job_id) for job_id in wanted}
        found = self.job_store.load_jobs(wanted)
        for desc in found.values():
            if desc is not None:
                desc.inline_body = None
                desc.created = []
                if self._compact:
                    compact(desc)
        return {job_id: found.get(job_id) for job_id in wanted}

    def get(self, job_id: str) -> Optional[JobDescription]:
        """The tracked description of ``job_id``, else the stored one."""
        desc = self.descs.get(job_id) or self._created.pop(job_id, None)
        if desc is not None:
            return desc
        return self.load(job_id)

    def get_many(self, job_ids: Sequence[str]) -> List[Optional[JobDescription]]:
        """:meth:`get` of each of ``job_ids`` (in order), the untracked ones read together."""
        known = {job_id: self.descs.get(job_id) or self._created.pop(job_id, None) for job_id in job_ids}
        unknown = [job_id for job_id, desc in known.items() if desc is None]
        if unknown:
            known.update(self.load_many(unknown))
        return [known[job_id] for job_id in job_ids]

    def prefetch(self, job_ids: Iterable[str]) -> None:
        """Read the stored descriptions of ``job_ids`` together now, for the next :meth:`take`
        of each (the jobs whose workers have just exited: the leader reads each back)."""
        wanted = [job_id for job_id in job_ids if job_id not in self._prefetched]
        if len(wanted) > 1:
            self._prefetched.update(self.load_many(wanted))

    def take(self, job_id: str) -> Optional[JobDescription]:
        """The stored description of ``job_id``, whose worker has just exited: the one
        :meth:`prefetch` read, else read now. The descriptions of the successors its worker's
        commit created, recorded in it (``created``), are kept for :meth:`get` and
        :meth:`get_many`: they are current now, and reading them costs nothing more."""
        self._created.pop(job_id, None)  # whatever was recorded before its worker ran is stale
        desc = self._prefetched.pop(job_id) if job_id in self._prefetched else self._read(job_id)
        if desc is not None and desc.created:
            for new in expand_created(desc):
                if new.stored_id not in self.descs:
                    self._created[new.stored_id] = compact(new) if self._compact else new
            desc.created = []
        if desc is not None and self._compact:
            compact(desc)
        return desc

    def take_deleted(self, job_id: str) -> None:
        """:meth:`take` of a job its worker reported deleted (finished with nothing left, see
        ``AbstractJobStore.finish_note``): there is nothing to read back (:meth:`take` would
        find nothing)."""
        self._created.pop(job_id, None)
        self._prefetched.pop(job_id, None)

    def preload(self, descs: Dict[str, JobDescription]) -> None:
        """Descriptions read just now, current, without inline bodies (``--restart``'s repair
        read them all): the next :meth:`get` or :meth:`get_many` of each takes it from here.
        ``descs`` becomes the tracker's: the caller must not use it afterwards."""
        if self._compact:
            for desc in descs.values():
                compact(desc)
        if not self._created:
            # Taken as it is (a million-job restart's dict would otherwise be copied, and both
            # held at once); the caller must not use it any more.
            self._created = descs
            return
        self._created.update(descs)
        descs.clear()  # ours now: the caller's dict must not keep finished jobs' descriptions alive

    def drop_prefetched(self) -> None:
        """Forget what :meth:`prefetch` read and nobody took (it may be stale by now)."""
        self._prefetched.clear()

    def store(self, desc: JobDescription) -> None:
        """Write back a description the leader changed (through the commit protocol)."""
        self._prefetched.pop(desc.stored_id, None)
        self._created.pop(desc.stored_id, None)
        update_description(self.job_store, desc)

    def drop_queued(self, job_ids: Set[str]) -> None:
        """Remove these jobs from the ready and phase queues."""
        self.ready = collections.deque(d for d in self.ready if d.jobStoreID not in job_ids)
        self.phase_queue = collections.deque(d for d in self.phase_queue if d.jobStoreID not in job_ids)

    def forget(self, job_id: str) -> None:
        """Drop the graph state of a job (deleted by a checkpoint restart); queues aside."""
        self.descs.pop(job_id, None)
        self._prefetched.pop(job_id, None)
        self._created.pop(job_id, None)
        self.waiting_on.pop(job_id, None)
        self.released.pop(job_id, None)
        self.failed.pop(job_id, None)
        self.parents_of.pop(job_id)
        self.failed_successors.discard(job_id)

    def outstanding(self) -> bool:
        """Whether any job is ready, issued or waiting to advance."""
        return bool(self.ready or self.issued or self.phase_queue)


class GraphMoves(Protocol):
    """The graph moves only the leader makes, as its collaborators see them."""

    def enter_phase(self, desc: JobDescription) -> None:
        """``desc`` has run (or its services started): queue it to start its next phase."""

    def done(self, job_id: str, delete: bool) -> None:
        """``job_id`` and everything below it finished (``delete``: its description goes too)."""

    def propagate_failure(self, job_id: str) -> None:
        """``job_id`` will never finish: move the failure to its predecessors."""

    def charge(self, desc: JobDescription) -> None:
        """Charge one try to ``desc`` (its worker died without recording why) and store it."""

    def restart_enclosing_checkpoint(self, job_id: str) -> bool:
        """Rerun the checkpoint that is ``job_id`` or encloses it, if it has tries left."""
