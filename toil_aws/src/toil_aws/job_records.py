"""The job descriptions of the ``aws:`` store: one JSON object per job under ``jobs/``.

A mixin of :class:`~toil_aws.job_store.AWSJobStore` (which holds the state it uses: the object
I/O, the ETags seen, the batch being created, the files owned by the running attempt's job).
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import botocore.exceptions
from toil_core.plugin_api import CorruptJobError, JobDescription, NoSuchJobException, attempt_job_of, attempt_owner

from toil_aws.layout import ATTEMPT_DIR, safe_name, token
from toil_aws.objects import ObjectMissing
from toil_aws.session import AWSSetupError, error_code

_PARSE_ERRORS = (json.JSONDecodeError, UnicodeDecodeError, TypeError, KeyError, AttributeError, ValueError)
#: Answers to a conditional PUT whose object changed since its ETag was seen.
_CHANGED = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409"})
#: How many job descriptions a batch of creations stores at once (see JobRecords.batch).
BATCH_THREADS = 8


class JobRecords:
    """Creating, loading, updating and deleting job descriptions (and a job's own files)."""

    _objects: Any
    _etags: Dict[str, str]
    _conditional_puts: bool
    _owned: Dict[str, set]
    _batched: Optional[List[Tuple[str, bytes]]]
    _sealer: Any
    bucket_name: str
    locator: str

    @staticmethod
    def _job_key(job_id: Any) -> str:
        job_id = str(job_id)
        if not job_id or "/" in job_id or job_id in (".", ".."):
            raise NoSuchJobException(job_id)
        return "jobs/" + job_id

    def assign_job_id(self, job_description: JobDescription) -> None:
        if self._sealer is not None:  # the job's name is the user's: only in the sealed description
            job_description.jobStoreID = token()
            return
        job_description.jobStoreID = f"{safe_name(job_description.jobName or 'job')}-{token()}"

    def create_job(self, job_description: JobDescription) -> JobDescription:
        if job_description.jobStoreID is None:
            self.assign_job_id(job_description)
        job_id = str(job_description.jobStoreID)
        key = self._job_key(job_id)
        if self._batched is not None:
            self._batched.append((job_id, job_description.to_bytes()))
        else:
            self._remember(job_id, self._objects.put(key, job_description.to_bytes()))
        return job_description

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Store the jobs created inside the block when it ends, :data:`BATCH_THREADS` PUTs at
        a time (a worker creating a job's hundred children waits for one round trip per eight
        instead of per child). Each description is still its own object written by one PUT;
        nothing refers to them before the block ends (the core records new jobs in the running
        job's description only afterwards), so a crash half-way leaves jobs that nothing
        reaches, which --restart deletes, as storing them one by one would. If the block
        raises, none is stored."""
        if self._batched is not None:  # nested: the outermost block stores them
            yield
            return
        self._batched = []
        try:
            yield
            pending = self._batched
        finally:
            self._batched = None
        self._put_jobs(pending)

    def _put_jobs(self, pending: List[Tuple[str, bytes]]) -> None:
        if len(pending) <= 1:
            for job_id, data in pending:
                self._remember(job_id, self._objects.put(self._job_key(job_id), data))
            return
        from concurrent.futures import ThreadPoolExecutor

        objects = self._objects.bound_to(self._client())

        def put_batched_job(item: Tuple[str, bytes]) -> Tuple[str, Optional[str]]:
            return item[0], objects.put(self._job_key(item[0]), item[1])

        with ThreadPoolExecutor(max_workers=min(BATCH_THREADS, len(pending))) as pool:
            for job_id, etag in pool.map(put_batched_job, pending):
                self._remember(job_id, etag)

    def _remember(self, job_id: str, etag: Optional[str]) -> None:
        if etag:
            self._etags[job_id] = etag
        else:
            self._etags.pop(job_id, None)

    def job_exists(self, job_id: str) -> bool:
        try:
            return self._objects.head(self._job_key(job_id)) is not None
        except NoSuchJobException:
            return False

    def load_job(self, job_id: str) -> JobDescription:
        return self._load_with(self._objects, job_id)

    def _load_with(self, objects: Any, job_id: str) -> JobDescription:
        key = self._job_key(job_id)
        try:
            raw, head = objects.get(key)
        except ObjectMissing:
            self._etags.pop(str(job_id), None)
            raise NoSuchJobException(job_id) from None
        try:
            desc = JobDescription.from_bytes(raw)
        except _PARSE_ERRORS as err:
            raise CorruptJobError(job_id, f"s3://{self.bucket_name}/{key}", err, self.locator) from err
        if desc.jobStoreID != job_id:
            raise CorruptJobError(job_id, f"s3://{self.bucket_name}/{key}",
                                  f"it describes job '{desc.jobStoreID}'", self.locator)
        self._remember(str(job_id), head.etag)
        return desc

    def update_job(self, job_description: JobDescription) -> None:
        """Replace the stored description atomically. :raises NoSuchJobException: if the job was
        deleted (a late update must not resurrect it).

        One PUT conditional on the ETag this process last saw for the job (``If-Match``): S3
        refuses it if the job was deleted meanwhile (404) or replaced (412). Without a known
        ETag, or after a 412, a HEAD fetches the current one first (the description is then
        replaced as before: the last writer wins, but a deleted job stays deleted)."""
        job_id = str(job_description.jobStoreID)
        key = self._job_key(job_id)
        job_description.version += 1
        try:
            data = job_description.to_bytes()
            etag = self._etags.get(job_id) if self._conditional_puts else None
            for _ in range(5):
                if etag is None:
                    head = self._objects.head(key)
                    if head is None:
                        self._etags.pop(job_id, None)
                        raise NoSuchJobException(job_id)
                    if not self._conditional_puts:
                        self._remember(job_id, self._objects.put(key, data))
                        return
                    etag = head.etag
                try:
                    self._remember(job_id, self._objects.put(key, data, if_match=etag))
                    return
                except ObjectMissing:
                    self._etags.pop(job_id, None)
                    raise NoSuchJobException(job_id) from None
                except botocore.exceptions.ClientError as err:
                    code = error_code(err)
                    if code in ("NotImplemented", "501"):
                        self._conditional_puts = False  # an S3-compatible server without them
                    elif code not in _CHANGED:
                        raise
                    etag = None
            raise AWSSetupError(f"The job '{job_id}' in '{self.locator}' kept changing while it was being updated.")
        except BaseException:
            job_description.version -= 1
            raise

    def delete_job(self, job_id: str) -> None:
        """Delete the job's files, then its description (a crash in between leaves a job to
        delete again, never orphans). For an attempt owner (``attempt-<job>``), delete the files
        of the attempts at the job.

        Both kinds of files are found by one LIST of ``files/o/<job>/``. A worker discards the
        files of earlier attempts right before an attempt, and keeps what that LIST found of
        the job's own files; when the same attempt (its attempt-scoped view of this store)
        finishes a leaf job, those keys and the ones it wrote since are deleted without listing
        again: while an attempt runs, only its worker writes files for the job."""
        try:
            key = self._job_key(job_id)
        except NoSuchJobException:
            return
        job_id = str(job_id)
        attempts_of = attempt_job_of(job_id)
        if attempts_of is not None:
            self._job_key(attempts_of)
            prefix = f"files/o/{attempts_of}/"
            own: set = set()
            stale = []
            for found, _ in self._objects.list(prefix):
                if found.startswith(prefix + ATTEMPT_DIR):
                    stale.append(found)
                else:
                    own.add(found)
            self._objects.delete_many(stale)
            self._keep_owned(attempts_of, own)
            return
        own_keys = self._owned.pop(job_id, None)
        if own_keys is None or getattr(self, "_attempt_owner", None) != attempt_owner(job_id):
            prefix = f"files/o/{job_id}/"
            own_keys = {found for found, _ in self._objects.list(prefix)
                        if not found.startswith(prefix + ATTEMPT_DIR)}
        self._objects.delete_many(sorted(own_keys))  # the job's files first (see above)
        self._etags.pop(job_id, None)
        self._objects.delete(key)

    def jobs(self) -> Iterator[JobDescription]:
        for key, _ in list(self._objects.list("jobs/")):
            try:
                yield self.load_job(key[len("jobs/"):])
            except NoSuchJobException:
                continue  # deleted while we iterate

    def job_file_owners(self) -> Iterator[str]:
        """IDs of the jobs that own files, whether or not the job still exists (the files of
        attempts at a job are under the job's ID too); ``delete_job(owner)`` deletes the job's
        own files, ``delete_job(attempt_owner(owner))`` those of its attempts."""
        for prefix, is_prefix in self._objects.list("files/o/", delimiter="/"):
            if is_prefix:
                yield prefix[len("files/o/"):].rstrip("/")

    def discard_temporary_files(self) -> int:
        """Abort the multipart uploads killed writers left (only while no other process writes)."""
        return self._objects.abort_uploads()

    def _parallel_loader(self) -> Callable[[str], JobDescription]:
        """load_job for the threads of load_jobs: all of them share this thread's client (one
        client per thread would cost building it, most of a second each)."""
        objects = self._objects.bound_to(self._client())  # type: ignore[attr-defined]

        def load(job_id: str) -> JobDescription:
            return self._load_with(objects, job_id)
        return load
