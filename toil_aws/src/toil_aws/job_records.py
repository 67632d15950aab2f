"""The job descriptions of the ``aws:`` store: one JSON object per job under ``jobs/``.

A mixin of :class:`~toil_aws.job_store.AWSJobStore` (which holds the state it uses: the object
I/O, the ETags seen, the batch being created, the files owned by the running attempt's job).
"""
from __future__ import annotations

import base64
import json
from collections import OrderedDict
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
#: Return values up to this size (pickled) are kept in the job's own record (see
#: JobRecords.store_return_value); bigger ones are an object of their own.
INLINE_RV_LIMIT = 4096
#: Metadata that marks a finished job's record kept for its return value (a "done" record).
DONE_META = "toil-done"
#: Bytes of return values of done records this process keeps after reading them (the leader
#: reads each back when its worker exits, and resolves the root's promises at the end).
RV_CACHE_BYTES = 16 << 20


class JobRecords:
    """Creating, loading, updating and deleting job descriptions (and a job's own files).

    Return values: a promise of job ``J``'s value refers to ``r/J`` (:meth:`reserve_return_value_id`).
    A small value (at most :data:`INLINE_RV_LIMIT` bytes pickled) lives in ``J``'s own record
    (``inline_rv``): the worker's commit writes value and finish in one PUT, and deleting ``J``
    replaces its description by a *done record* (``{"done": J, "inline_rv": ...}``, metadata
    ``toil-done``) in one PUT instead of a DELETE. A done record is no job (``load_job`` raises
    NoSuchJobException, ``job_exists`` is False, ``jobs()`` skips it) and never changes again, so
    the leader keeps the values of those it read back (``_rv_cache``) and resolves the root's
    promises without reading them again. A bigger value, and a service's start value (published
    with ``write_reserved_file_stream`` while its host job runs), is the object ``files/r/J``. Reading
    ``r/J`` reads ``J``'s record, then (no value in it) ``files/r/J``; an empty result means
    the job has not finished yet. Like other return-value files, done records stay until the
    store is destroyed.
    """

    _objects: Any
    _etags: Dict[str, str]
    _conditional_puts: bool
    _owned: Dict[str, set]
    _batched: Optional[List[Tuple[str, bytes]]]
    _sealer: Any
    #: job ID -> the inline return value (base64) its record holds, for each job whose record
    #: this process read or wrote with one (deleting such a job keeps the value).
    _rv_held: Dict[str, str]
    #: job ID -> pickled return value, of done records read (they never change), oldest first.
    _rv_cache: "OrderedDict[str, bytes]"
    _rv_cached_bytes: int
    #: (job ID, inline value or None) of the job this process deleted last (see finish_note).
    _last_deleted: Optional[Tuple[str, Optional[str]]]
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
            head = self._objects.head(self._job_key(job_id))
        except NoSuchJobException:
            return False
        return head is not None and DONE_META not in head.metadata

    # ---------------------------------------------------------------------- return values
    def reserve_return_value_id(self, job_id: Optional[str]) -> str:
        """``r/<job>``: the value goes into the job's record or ``files/r/<job>`` (see the class
        docstring); a job without an ID yet gets a reserved file as in other stores."""
        if job_id is None:
            return self.reserve_file_id()  # type: ignore[attr-defined]
        self._job_key(job_id)  # validates it
        return f"r/{job_id}"

    def store_return_value(self, desc: JobDescription, data: bytes) -> None:
        rv_id = str(desc.rv_file_id)
        job_id = str(desc.jobStoreID)
        if rv_id != f"r/{job_id}":
            with self.write_reserved_file_stream(rv_id) as stream:  # type: ignore[attr-defined]
                stream.write(data)
            return
        if len(data) <= INLINE_RV_LIMIT:
            desc.inline_rv = base64.b64encode(data).decode("ascii")
            self._rv_held[job_id] = desc.inline_rv  # written by the commit's update or deletion
            return
        desc.inline_rv = None
        self._rv_held.pop(job_id, None)
        with self.write_reserved_file_stream(rv_id) as stream:  # type: ignore[attr-defined]
            stream.write(data)

    def _done_read(self, job_id: str, data: Dict[str, Any]) -> None:
        """Keep the value of a done record just read (it never changes)."""
        self._etags.pop(job_id, None)
        self._rv_held.pop(job_id, None)
        inline = data.get("inline_rv")
        if inline is None:
            return
        cache = self._rv_cache
        value = base64.b64decode(inline)
        old = cache.pop(job_id, None)
        self._rv_cached_bytes += len(value) - (len(old) if old is not None else 0)
        cache[job_id] = value
        while self._rv_cached_bytes > RV_CACHE_BYTES and cache:
            self._rv_cached_bytes -= len(cache.popitem(last=False)[1])

    def read_return_value(self, job_id: str) -> bytes:
        """The pickled value ``r/<job_id>`` refers to; empty if the job has not finished."""
        cached = self._rv_cache.get(job_id)
        if cached is not None:
            return cached
        try:
            raw, _ = self._objects.get(self._job_key(job_id))
        except ObjectMissing:
            raw = None
        if raw is not None:
            try:
                data = json.loads(raw)
            except _PARSE_ERRORS as err:
                raise CorruptJobError(job_id, f"s3://{self.bucket_name}/{self._job_key(job_id)}", err,
                                      self.locator) from err
            if isinstance(data, dict) and data.get("inline_rv") is not None:
                value = base64.b64decode(data["inline_rv"])
                if "done" in data:
                    self._done_read(job_id, data)
                return value
        try:
            value, _ = self._objects.get(f"files/r/{job_id}")
        except ObjectMissing:
            return b""  # not finished yet (the reader says the promise is unfulfilled)
        return value

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
            data = json.loads(raw)
            if isinstance(data, dict) and "done" in data:
                self._done_read(str(job_id), data)
                raise NoSuchJobException(job_id)
            desc = JobDescription.from_dict(data)
        except _PARSE_ERRORS as err:
            raise CorruptJobError(job_id, f"s3://{self.bucket_name}/{key}", err, self.locator) from err
        if desc.inline_rv is not None:
            self._rv_held[str(job_id)] = desc.inline_rv
        else:
            self._rv_held.pop(str(job_id), None)
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
                    if head is None or DONE_META in head.metadata:
                        self._etags.pop(job_id, None)
                        raise NoSuchJobException(job_id)
                    if not self._conditional_puts:
                        self._remember(job_id, self._objects.put(key, data))
                        self._held(job_id, job_description.inline_rv)
                        return
                    etag = head.etag
                try:
                    self._remember(job_id, self._objects.put(key, data, if_match=etag))
                    self._held(job_id, job_description.inline_rv)
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

    def _held(self, job_id: str, inline_rv: Optional[str]) -> None:
        if inline_rv is None:
            self._rv_held.pop(job_id, None)
        else:
            self._rv_held[job_id] = inline_rv

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
        inline = self._rv_held.pop(job_id, None)
        self._last_deleted = None
        if inline is None:
            self._objects.delete(key)
        else:
            # The job's return value stays where promises find it: one PUT replaces the description
            # by a done record (see the class docstring), atomically as a DELETE would remove it.
            done = json.dumps({"done": job_id, "inline_rv": inline}, separators=(",", ":")).encode("utf-8")
            self._objects.put(key, done, metadata={DONE_META: "1"})
        self._last_deleted = (job_id, inline)

    # ---------------------------------------------------------------------- notes to the leader
    def finish_note(self, job_id: str) -> Optional[str]:
        """``d`` if this process just deleted ``job_id``, ``d:<value>`` (base64) if it replaced
        it by a done record holding that value: the leader keeps the value as if it had read the
        record back (see :meth:`absorb_finish_note`), for the promises of it."""
        last = self._last_deleted
        if last is None or last[0] != str(job_id):
            return None
        return "d" if last[1] is None else "d:" + last[1]

    def absorb_finish_note(self, job_id: str, note: str) -> bool:
        if note == "d":
            self._etags.pop(str(job_id), None)
            self._rv_held.pop(str(job_id), None)
            return True
        if note.startswith("d:"):
            try:
                base64.b64decode(note[2:], validate=True)
            except ValueError:
                return False  # not a note of ours: read the job back
            self._done_read(str(job_id), {"done": str(job_id), "inline_rv": note[2:]})
            return True
        return False

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
