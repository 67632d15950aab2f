"""ObjectJobStore: what the job stores in an object service (S3, Cloud Storage) do alike.

In such a store every read is a round trip to the service, so the reads the leader makes many
at a time (:meth:`~toil_core.jobstores.abstract.AbstractJobStore.load_jobs`) are made in parallel;
files of attempts at a job live under the job's own prefix (:func:`attempt_job_of` names that
job); and the leader's looks for log blobs (each a listing) back off while none come
(:class:`LogPoll`). Deleting a job lists its files, unless this process knows them all: the
worker that discarded the files of earlier attempts (a listing that also finds the job's own), or
that starts the first attempt (:meth:`ObjectJobStore.first_attempt`), keeps the job's own files
(:meth:`ObjectJobStore._keep_owned`) and adds what it writes for the job.
Backends get these through :mod:`toil_core.plugin_api`.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, Iterable, Optional, Sequence, Set, Tuple

from ..job.attempt_files import attempt_owner, is_attempt_owner
from ..job.description import JobDescription
from .abstract import AbstractJobStore
from .errors import NoSuchJobException

__all__ = ["LogPoll", "ObjectJobStore", "attempt_job_of"]


def attempt_job_of(owner: str) -> Optional[str]:
    """The job whose attempts ``owner`` owns the files of, or None for a job's own ID."""
    if not is_attempt_owner(owner):
        return None
    job = owner[len(attempt_owner("")):]
    return job if job and attempt_owner(job) == owner else None


class LogPoll:
    """Pauses between the leader's looks for new log blobs, each a listing: the shortest after a
    look that found some, doubling after each empty look up to the longest."""

    def __init__(self, shortest: float = 0.5, longest: float = 4.0) -> None:
        self.shortest, self.longest = shortest, longest
        self.interval = shortest

    def looked(self, found: bool) -> None:
        """Record a look that found blobs (``found``) or none."""
        self.interval = self.shortest if found else min(self.longest, self.interval * 2)


class ObjectJobStore(AbstractJobStore):
    """Base of job stores whose every request is a round trip to an object service."""

    #: How many requests :meth:`load_jobs` makes at once.
    parallel_requests: int = 8
    #: How many jobs' own files a process keeps (a worker needs one job's at a time).
    owned_kept: int = 64

    def __init__(self, locator: str) -> None:
        super().__init__(locator)
        self._log_polling = LogPoll()
        #: job ID -> keys (names) of the job's own files, all of them (see the module docstring).
        self._owned: Dict[str, Set[str]] = {}

    def _keep_owned(self, job_id: str, keys: Set[str]) -> None:
        """Remember that ``keys`` are all the files job ``job_id`` owns now; the store adds the
        files it writes for the job, and ``delete_job`` of the job takes them instead of listing."""
        self._owned.pop(job_id, None)
        while len(self._owned) >= self.owned_kept:
            self._owned.pop(next(iter(self._owned)))
        self._owned[job_id] = keys

    def first_attempt(self, job_id: str, files: Sequence[str] = ()) -> None:
        """The job owns only ``files`` and its attempts own nothing yet: deleting the job at the
        end of this attempt needs no listing."""
        self._keep_owned(str(job_id), {self._owned_key(file_id) for file_id in files})

    def _owned_key(self, file_id: str) -> str:
        """The key (name) of a file as the store keeps it in a job's own files."""
        raise NotImplementedError

    @property
    def log_poll_interval(self) -> float:
        """Seconds the leader waits between looks for new log blobs (see :class:`LogPoll`)."""
        return self._log_polling.interval

    def _parallel_loader(self) -> Callable[[str], JobDescription]:
        """``load_job`` for the threads of :meth:`load_jobs` (stores whose clients are per thread
        return one that shares this thread's client instead of building one per thread)."""
        return self.load_job

    def load_jobs(self, job_ids: Iterable[str]) -> Dict[str, Optional[JobDescription]]:
        """Load the descriptions :data:`parallel_requests` at a time (one GET each)."""
        wanted = list(dict.fromkeys(job_ids))
        if len(wanted) <= 1:
            return super().load_jobs(wanted)
        load = self._parallel_loader()

        def load_one_of_many(job_id: str) -> Tuple[str, Optional[JobDescription]]:
            try:
                return job_id, load(job_id)
            except NoSuchJobException:
                return job_id, None

        with ThreadPoolExecutor(max_workers=min(self.parallel_requests, len(wanted))) as pool:
            return dict(pool.map(load_one_of_many, wanted))
