"""AWSJobStore: the ``aws:<region>:<name>`` job store, everything in one S3 bucket.

Layout of the bucket ``<name>--toil`` (no database: S3 is strongly consistent)::

    toil-job-store                      marker, written first and deleted last; holds the format and
                                        the SSE-C key's fingerprint (never encrypted)
    toil-leader-lock                    the running leader's lease (see acquire_leader_lock; clear)
    plain/<name>                        shared files written with encrypted=False (config.pickle)
    shared/<name>                       the other shared files (rootJobStoreID, pid.log, ...)
    jobs/<job id>                       one JSON job description per job
    files/f/<token>/<basename>          stored files; file ID = "f/<token>/<basename>"
                                        (with --clientSideEncryption <basename> and shared <name>s
                                        are sealed and job IDs leave the job's name out: no key
                                        shows a name the user chose; see ObjectSealer.file_name)
    files/o/<job>/<token>/<basename>    files written for a job (cleanup=True); file ID =
                                        "o/<job>/<token>/<basename>"; delete_job(job) deletes them
    files/o/<job>/attempt/<token>/<basename>
                                        files of attempts at the job (owner attempt-<job>, see
                                        toil_core's attempt files); delete_job(attempt-<job>)
                                        deletes them. Both under one prefix: the LIST a worker
                                        makes to discard earlier attempts' files also finds the
                                        job's own, so finishing a leaf job needs no second LIST
    logs/new/<ns stamp>-<random>        stats/logging blobs not yet read
    logs/read/<ns stamp>-<random>       blobs passed to read_logs already (for read_all)

A file ID is its key relative to ``files/``, so finding a file costs nothing; loading a job is
one GET, creating or replacing one is one PUT, and no operation but ``jobs()``, ``read_logs()``,
``delete_job()`` (of the job's own prefix), ``--restart``'s clean-up and ``destroy()`` lists.

Crash safety: every job, file, shared file and log blob is one PUT, or one multipart upload that
becomes visible only when completed; either way S3 shows the old or the new object, never a
partial one. Multipart uploads left by killed writers are invisible and are aborted by
``--restart`` (:meth:`discard_temporary_files`). ``delete_job`` removes the job's files before
the job, so a crash in between leaves a finished job to delete again, never orphans.

All object bytes pass through :class:`~toil_aws.objects.ObjectStore` (the SSE-C key rides there,
and with ``--clientSideEncryption`` the sealing: everything but the marker is encrypted before it
leaves this process; the marker keeps the clear key record under ``client_side``, checked before
anything else is read).
"""
from __future__ import annotations

import json
import logging
import os
import re
import stat
import time
import urllib.parse
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

import botocore.exceptions
from toil_core.plugin_api import (
    AbstractJobStore,
    CorruptJobError,
    FileID,
    JobDescription,
    JobStoreExistsException,
    NoSuchFileException,
    NoSuchJobException,
    NoSuchJobStoreException,
    ObjectSealer,
    acquire_lease,
    attempt_owner,
    download_atomically,
    is_attempt_owner,
    settings_from,
)

from toil_aws import session
from toil_aws.leader_lock import LOCK_KEY as S3_LOCK_KEY
from toil_aws.leader_lock import S3Lease
from toil_aws.locator import Locator, parse
from toil_aws.objects import ObjectMissing, ObjectStore, reader_handle, writer_context
from toil_aws.session import AWSSetupError, error_code, is_missing
from toil_aws.settings import DEFAULT_PART_SIZE, MIN_PART_SIZE, AWSJobStoreSettings
from toil_aws.sse import SSEKeyError, fingerprint, matches, read_key

if TYPE_CHECKING:
    from toil_core.plugin_api import Config

__all__ = ["AWSJobStore"]

logger = logging.getLogger(__name__)

MARKER = "toil-job-store"
FORMAT = 1
CONFIG_FILE = "config.pickle"
_COPY_CHUNK = 1 << 20
#: Names the key file for workers and tools (the core's variable for encrypted stores).
KEY_ENV = "TOIL_SSE_KEY"
#: Sub-prefix of a job's files prefix that holds the files of attempts at the job.
ATTEMPT_DIR = "attempt/"
#: How many jobs' file lists a process keeps between the discard of earlier attempts' files and
#: the job's finish (see delete_job; a worker needs one at a time).
_OWNED_KEPT = 64
_PARSE_ERRORS = (json.JSONDecodeError, UnicodeDecodeError, TypeError, KeyError, AttributeError, ValueError)
#: Answers to a conditional PUT whose object changed since its ETag was seen.
_CHANGED = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409"})
#: Pauses between the leader's looks for new log blobs (each costs a LIST): the shortest after a
#: look that found some, doubling after each empty look up to the longest.
LOG_POLL_MIN, LOG_POLL_MAX = 0.5, 4.0
#: How many job descriptions a batch of creations stores at once (see AWSJobStore.batch).
BATCH_THREADS = 8


_TOKEN = re.compile(r"[0-9a-f]{20}")


def _token() -> str:
    return os.urandom(10).hex()


def _basename(name: Optional[str], default: str) -> str:
    if not name:
        return default
    name = name.replace("/", "_").replace("\0", "_")
    if name in (".", ".."):
        return default
    while len(name.encode("utf-8", "surrogateescape")) > 200:
        name = name[1:]
    return name


def _attempt_job(owner: str) -> Optional[str]:
    """The job whose attempts ``owner`` owns the files of, or None for a job's own ID."""
    if not is_attempt_owner(owner):
        return None
    job = owner[len(attempt_owner("")):]
    return job if job and attempt_owner(job) == owner else None


def _safe_name(name: str) -> str:
    out = "".join(c if (c.isascii() and (c.isalnum() or c in "._-")) else "_" for c in name[:60])
    return out.lstrip(".") or "job"


class AWSJobStore(AbstractJobStore):
    """A job store in one S3 bucket (see the module docstring for the layout).

    :param locator: ``<region>:<name>`` (as after ``aws:``; the prefix is accepted too).
    :param partSize: multipart part size in bytes (default: ``--awsPartSize`` / 50 MiB).
    """

    #: ``--sseKey`` alone means SSE-C here; ``--clientSideEncryption`` adds the core's sealing.
    server_side_encryption = True

    def __init__(self, locator: str, partSize: Optional[int] = None) -> None:
        self._where: Locator = parse(locator)
        self._part_size_arg = partSize
        self._sse_key: Optional[bytes] = None
        self._key_path: Optional[str] = None
        self._sealer: Optional[ObjectSealer] = None
        self._objects = ObjectStore(self._client, self._where.bucket, None, partSize or DEFAULT_PART_SIZE)
        self._marker: Optional[Dict[str, Any]] = None
        #: ETag of each job description this process last read or wrote: updates are then one
        #: conditional PUT (If-Match) instead of a HEAD and a PUT.
        self._etags: Dict[str, str] = {}
        #: False once the server refused a conditional PUT as unsupported.
        self._conditional_puts = True
        self._log_poll = LOG_POLL_MIN
        #: job ID -> keys of the job's own files, as the LIST that discarded its earlier attempts'
        #: files found them plus what this process has written for it since (see delete_job).
        self._owned: Dict[str, set] = {}
        #: (job ID, description bytes) created inside batch(), stored when it ends.
        self._batched: Optional[List[Tuple[str, bytes]]] = None
        super().__init__(str(self._where))

    def __repr__(self) -> str:
        return f"AWSJobStore({self.locator!r})"

    # ---------------------------------------------------------------------- plumbing
    @property
    def region(self) -> str:
        return self._where.region

    @property
    def bucket_name(self) -> str:
        return self._where.bucket

    def _client(self) -> Any:
        return session.client("s3", self._where.region)

    @property
    def objects(self) -> ObjectStore:
        """The object I/O seam of this store (one bucket, this store's SSE-C key)."""
        return self._objects

    def _apply(self, config: Config, key_path: Optional[str]) -> None:
        """Take the part size from ``config`` and the SSE-C key from ``key_path`` (checked against
        the store's marker when the store exists)."""
        part = self._part_size_arg or settings_from(config, AWSJobStoreSettings).aws_part_size
        if part < MIN_PART_SIZE:
            raise AWSSetupError(f"--awsPartSize ({part}) must be at least {MIN_PART_SIZE} bytes (S3's smallest "
                                "part).")
        key = read_key(key_path) if key_path else None
        if self._marker is not None:
            self._check_key(key)
        self._sse_key = key
        self._key_path = key_path
        self._objects = ObjectStore(self._client, self._where.bucket, key, part, self._sealer)

    def provide_key(self, key_path: Optional[str]) -> None:
        """The ``--sseKey`` file to open the store with (else ``$TOIL_SSE_KEY`` names it)."""
        self._key_path = key_path

    def _check_key(self, key: Optional[bytes]) -> None:
        recorded = (self._marker or {}).get("sse")
        if recorded and key is None:
            raise SSEKeyError(f"The job store '{self.locator}' is encrypted with an SSE-C key and no key was "
                              f"given: give the same key with --sseKey PATH (for toil status, stats and clean: "
                              f"{KEY_ENV}=PATH).")
        if key is not None and not recorded:
            raise SSEKeyError(f"The job store '{self.locator}' was made without an SSE-C key: run without "
                              "--sseKey (its objects are not encrypted with a customer key).")
        if key is not None and recorded and not matches(key, recorded):
            raise SSEKeyError(f"The --sseKey key is not the key the job store '{self.locator}' was made with: "
                              "give the key file used when the workflow started.")

    def _need_credentials(self, what: str) -> None:
        if not session.has_credentials():
            raise AWSSetupError(session.no_credentials_message(what))

    def _explain(self, err: botocore.exceptions.ClientError, doing: str) -> AWSSetupError:
        code = error_code(err)
        if code in ("AccessDenied", "403", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            return AWSSetupError(
                f"Access denied to the S3 bucket '{self.bucket_name}' while {doing} the job store "
                f"'{self.locator}' ({code}). Check that your AWS credentials may use that bucket, or pick another "
                "job store name (bucket names are global: another account may own it).")
        return AWSSetupError(f"S3 refused {doing} the job store '{self.locator}': {err}")

    # ---------------------------------------------------------------------- lifecycle
    def initialize(self, config: Config) -> None:
        self._need_credentials(f"create the job store '{self.locator}'")
        self._marker = None
        # The key file (both uses) and the part size are checked before anything is made.
        self._sealer = ObjectSealer.create(self.locator, config.sseKey) if ObjectSealer.wanted(config) else None
        self._apply(config, config.sseKey)
        created = self._create_bucket()
        try:
            self._marker = {"format": FORMAT, "sse": fingerprint(self._sse_key) if self._sse_key else None}
            if self._sealer is not None:
                self._marker["client_side"] = self._sealer.record().decode("utf-8")
            self._objects.put(MARKER, json.dumps(self._marker).encode("utf-8"), plain=True)
            super().initialize(config)  # the config is written last: a store without it was never made
        except BaseException:
            if created:
                self.destroy()
            raise

    def _create_bucket(self) -> bool:
        """Create the bucket; False if an empty or half-made store of ours was there already."""
        client = self._client()
        args: Dict[str, Any] = {"Bucket": self.bucket_name}
        if self.region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            client.head_bucket(Bucket=self.bucket_name)
            exists = True
        except botocore.exceptions.ClientError as err:
            if not is_missing(err):
                raise self._explain(err, "creating") from None
            exists = False
        if not exists:
            # (in us-east-1 S3 answers 200 to creating a bucket one owns already: hence the HEAD)
            try:
                client.create_bucket(**args)
                return True
            except botocore.exceptions.ClientError as err:
                code = error_code(err)
                if code == "BucketAlreadyExists":
                    raise AWSSetupError(
                        f"Cannot create the job store '{self.locator}': the bucket '{self.bucket_name}' belongs "
                        "to another AWS account (bucket names are global). Choose another job store name."
                    ) from None
                if code != "BucketAlreadyOwnedByYou":
                    raise self._explain(err, "creating") from None
        if self._objects.head(f"plain/{CONFIG_FILE}", plain=True) is not None:
            raise JobStoreExistsException(self.locator)
        if self._objects.head(MARKER, plain=True) is None and any(True for _ in self._objects.list("")):
            raise AWSSetupError(
                f"Cannot create the job store '{self.locator}': the bucket '{self.bucket_name}' exists, is not "
                "empty and is not a Toil job store. Choose another job store name.")
        return False  # an empty bucket, or a store whose creation was interrupted: finish it

    def resume(self) -> None:
        self._need_credentials(f"use the job store '{self.locator}'")
        try:
            data, _ = self._objects.get(MARKER, plain=True)
        except ObjectMissing:
            raise NoSuchJobStoreException(self.locator) from None
        except botocore.exceptions.ClientError as err:
            raise self._explain(err, "opening") from None
        try:
            self._marker = json.loads(data)
        except ValueError:
            self._marker = {}
        # The key: given with provide_key (the leader's --sseKey), else named by $TOIL_SSE_KEY (workers,
        # toil status). Checked against the marker before anything else is read.
        key_path = self._key_path or os.environ.get(KEY_ENV) or None
        record = self._marker.get("client_side") if isinstance(self._marker, dict) else None
        self._sealer = (ObjectSealer.open(self.locator, str(record).encode("utf-8"), key_path)
                        if record else None)
        key = read_key(key_path) if key_path else None
        self._check_key(key)
        self._objects = ObjectStore(self._client, self._where.bucket, key, self._objects.part_size, self._sealer)
        self._sse_key = key
        super().resume()
        self._apply(self._config, key_path)

    def shared_file_location(self, shared_file_name: str) -> str:
        return f"s3://{self.bucket_name}/{self._shared_key(shared_file_name, True)}"

    def destroy(self) -> None:
        """Delete every object and the bucket. Idempotent; a bucket without the marker that is
        not empty is left alone."""
        client = self._client()
        try:
            client.head_bucket(Bucket=self.bucket_name)
        except botocore.exceptions.ClientError as err:
            if is_missing(err):
                return
            raise self._explain(err, "deleting") from None
        plain = ObjectStore(self._client, self.bucket_name, None, self._objects.part_size)
        keys = [key for key, _ in plain.list("")]
        if keys and MARKER not in keys:
            raise AWSSetupError(f"Refusing to delete the bucket '{self.bucket_name}': it is not empty and is not "
                                "a Toil job store (no marker object).")
        plain.abort_uploads()
        plain.delete_many([k for k in keys if k != MARKER])
        plain.delete(MARKER)
        try:
            client.delete_bucket(Bucket=self.bucket_name)
        except botocore.exceptions.ClientError as err:
            if not is_missing(err):
                raise
        self._marker = None

    def acquire_leader_lock(self) -> Any:
        """Take the store's leader lock (a lease object; see :mod:`toil_aws.leader_lock`).

        :raises JobStoreInUseError: while a live leader holds it; a leader killed on this host
            leaves a lock the next one takes over at once, one on another host after its lease
            expires."""
        return acquire_lease(S3Lease(self._client, self.bucket_name), self.locator)

    def get_env(self) -> Dict[str, str]:
        """The S3 endpoint variables, and the key file's path for an encrypted store."""
        env = session.endpoint_env()
        if self._sse_key is not None and self._key_path:
            env[KEY_ENV] = os.path.abspath(self._key_path)
        if self._sealer is not None:
            env.update(self._sealer.env())
        return env

    def default_caching(self) -> bool:
        return False

    # ---------------------------------------------------------------------- jobs
    @staticmethod
    def _job_key(job_id: Any) -> str:
        job_id = str(job_id)
        if not job_id or "/" in job_id or job_id in (".", ".."):
            raise NoSuchJobException(job_id)
        return "jobs/" + job_id

    def assign_job_id(self, job_description: JobDescription) -> None:
        if self._sealer is not None:  # the job's name is the user's: only in the sealed description
            job_description.jobStoreID = _token()
            return
        job_description.jobStoreID = f"{_safe_name(job_description.jobName or 'job')}-{_token()}"

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
        key = self._job_key(job_id)
        try:
            raw, head = self._objects.get(key)
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
        attempts_of = _attempt_job(job_id)
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
            self._owned.pop(attempts_of, None)
            while len(self._owned) >= _OWNED_KEPT:
                self._owned.pop(next(iter(self._owned)))
            self._owned[attempts_of] = own
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

    # ---------------------------------------------------------------------- files
    def _new_file_id(self, job_id: Optional[str], cleanup: bool, basename: Optional[str],
                     default: str = "stream") -> Tuple[str, str]:
        """``(file ID, object key)`` of a new file (the pair the core's attempt scoping expects
        from a store that can name a file before it exists)."""
        name, token = _basename(basename, default), _token()
        if self._sealer is not None:
            name = self._sealer.file_name(name, token)
        if cleanup and job_id is not None:
            owner = str(job_id)
            self._job_key(owner)  # validates it
            attempts_of = _attempt_job(owner)
            if attempts_of is not None:
                self._job_key(attempts_of)
                file_id = f"o/{attempts_of}/{ATTEMPT_DIR}{token}/{name}"
            else:
                file_id = f"o/{owner}/{token}/{name}"
                own = self._owned.get(owner)
                if own is not None:
                    own.add("files/" + file_id)  # (before it exists: deleting a missing key is harmless)
        else:
            file_id = f"f/{token}/{name}"
        return file_id, "files/" + file_id

    @staticmethod
    def _file_key(file_id: Any) -> str:
        fid = str(file_id)
        if not fid.startswith(("f/", "o/")) or "\0" in fid or "/../" in f"/{fid}/":
            raise NoSuchFileException(file_id)
        return "files/" + fid

    def _missing(self, file_id: Any) -> NoSuchFileException:
        return NoSuchFileException(
            file_id, None,
            f"(no object for it in the bucket '{self.bucket_name}' of job store '{self.locator}'). Pass a file "
            "ID returned by writeGlobalFile or importFile in this workflow; if it was one, the file was deleted.")

    def _upload_local(self, local_path: str, key: str, check: Optional[Callable[[], None]] = None) -> None:
        executable = bool(os.stat(local_path).st_mode & stat.S_IXUSR)
        writer = self._objects.open_write(key, executable, check)
        try:
            with open(local_path, "rb") as source:
                while True:
                    chunk = source.read(max(_COPY_CHUNK, min(self._objects.part_size, 16 << 20)))
                    if not chunk:
                        break
                    writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        writer.commit()

    def write_file(self, local_path: str, job_id: Optional[str] = None, cleanup: bool = False) -> str:
        file_id, key = self._new_file_id(job_id, cleanup, os.path.basename(local_path), "file")
        self._upload_local(local_path, key)
        return file_id

    @contextmanager
    def write_file_stream(self, job_id: Optional[str] = None, cleanup: bool = False,
                          basename: Optional[str] = None, encoding: Optional[str] = None,
                          errors: Optional[str] = None) -> Iterator[Tuple[IO[Any], str]]:
        file_id, key = self._new_file_id(job_id, cleanup, basename)
        writer = self._objects.open_write(key)
        with writer_context(writer, encoding, errors) as handle:
            yield handle, file_id

    def get_empty_file_store_id(self, job_id: Optional[str] = None, cleanup: bool = False,
                                basename: Optional[str] = None) -> str:
        file_id, key = self._new_file_id(job_id, cleanup, basename)
        self._objects.put(key, b"")
        return file_id

    def reserve_file_id(self) -> str:
        """A fresh file ID; nothing is stored until :meth:`write_reserved_file_stream`."""
        return self._new_file_id(None, False, None)[0]

    @contextmanager
    def write_reserved_file_stream(self, file_id: str) -> Iterator[IO[Any]]:
        writer = self._objects.open_write(self._file_key(file_id))
        with writer_context(writer, None, None) as handle:
            yield handle

    def _reader(self, file_id: Any) -> Any:
        try:
            return self._objects.open_read(self._file_key(file_id))
        except (ObjectMissing, NoSuchFileException):
            raise self._missing(file_id) from None

    def read_file(self, file_id: str, local_path: str, symlink: bool = False) -> None:
        """Download the file to ``local_path`` atomically (executable bit kept); ``symlink`` is
        ignored (there is nothing local to link to)."""
        reader = self._reader(file_id)

        def fill(tmp: str) -> bool:
            with reader, open(tmp, "wb") as out:
                while True:
                    chunk = reader.read(_COPY_CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
            return bool(reader.head.executable)

        download_atomically(local_path, fill)

    @contextmanager
    def read_file_stream(self, file_id: str, encoding: Optional[str] = None,
                         errors: Optional[str] = None) -> Iterator[IO[Any]]:
        handle = reader_handle(self._reader(file_id), encoding, errors)
        with handle:
            yield handle

    def delete_file(self, file_id: str) -> None:
        try:
            self._objects.delete(self._file_key(file_id))
        except NoSuchFileException:
            pass

    def _head_file(self, file_id: Any) -> Any:
        try:
            return self._objects.head(self._file_key(file_id))
        except NoSuchFileException:
            return None

    def file_exists(self, file_id: str) -> bool:
        return self._head_file(file_id) is not None

    def get_file_size(self, file_id: str) -> int:
        head = self._head_file(file_id)
        return head.size if head is not None else 0

    def file_info(self, file_id: str) -> FileID:
        """The file's FileID (size and executable bit). :raises NoSuchFileException:"""
        head = self._head_file(file_id)
        if head is None:
            raise self._missing(file_id)
        return FileID(str(file_id), head.size, head.executable)

    def _still_there(self, file_id: Any) -> Callable[[], None]:
        def check() -> None:
            # A file deleted while it was being rewritten stays deleted.
            if self._head_file(file_id) is None:
                raise NoSuchFileException(file_id)
        return check

    def update_file(self, file_id: str, local_path: str) -> None:
        if self._head_file(file_id) is None:
            raise self._missing(file_id)
        self._upload_local(local_path, self._file_key(file_id), self._still_there(file_id))

    @contextmanager
    def update_file_stream(self, file_id: str, encoding: Optional[str] = None,
                           errors: Optional[str] = None) -> Iterator[IO[Any]]:
        head = self._head_file(file_id)
        if head is None:
            raise self._missing(file_id)
        writer = self._objects.open_write(self._file_key(file_id), head.executable, self._still_there(file_id))
        with writer_context(writer, encoding, errors) as handle:
            yield handle

    def _presign(self, key: str) -> str:
        if self._sealer is not None:
            raise AWSSetupError(f"The job store '{self.locator}' is encrypted client-side (--clientSideEncryption): "
                                "a public URL would serve only ciphertext. Export the file instead.")
        expires = int(min(self.publicUrlExpiration.total_seconds(), 7 * 24 * 3600))  # SigV4's limit
        return self._client().generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket_name, "Key": key}, ExpiresIn=expires)

    def get_public_url(self, file_id: str) -> str:
        """A presigned GET URL (valid 7 days, SigV4's limit). With --sseKey the reader must send
        the SSE-C headers too."""
        if self._head_file(file_id) is None:
            raise self._missing(file_id)
        return self._presign(self._file_key(file_id))

    def get_shared_public_url(self, shared_file_name: str) -> str:
        self._check_shared_name(shared_file_name)
        for encrypted in (True, False):
            key = self._shared_key(shared_file_name, encrypted)
            if self._objects.head(key, plain=not encrypted) is not None:
                return self._presign(key)
        raise NoSuchFileException(shared_file_name)

    # ---------------------------------------------------------------------- shared files
    def _shared_key(self, name: str, encrypted: bool) -> str:
        if self._sealer is not None:
            name = self._sealer.shared_name(name)
        return ("shared/" if encrypted else "plain/") + name

    @contextmanager
    def write_shared_file_stream(self, shared_file_name: str, encrypted: Optional[bool] = None,
                                 encoding: Optional[str] = None,
                                 errors: Optional[str] = None) -> Iterator[IO[Any]]:
        self._check_shared_name(shared_file_name)
        secret = encrypted is not False
        objects = self._objects if secret else self._objects.without_sse()
        writer = objects.open_write(self._shared_key(shared_file_name, secret))
        with writer_context(writer, encoding, errors) as handle:
            yield handle

    @contextmanager
    def read_shared_file_stream(self, shared_file_name: str, encoding: Optional[str] = None,
                                errors: Optional[str] = None) -> Iterator[IO[Any]]:
        self._check_shared_name(shared_file_name)
        # The config is always plain (workers read it before they know the key); other shared
        # files are encrypted unless written with encrypted=False.
        order = (False, True) if shared_file_name == CONFIG_FILE else (True, False)
        reader = None
        for secret in order:
            objects = self._objects if secret else self._objects.without_sse()
            try:
                reader = objects.open_read(self._shared_key(shared_file_name, secret))
                break
            except ObjectMissing:
                continue
            except botocore.exceptions.ClientError as err:
                if error_code(err) == "NoSuchBucket":
                    break
                raise
        if reader is None:
            raise NoSuchFileException(shared_file_name)
        handle = reader_handle(reader, encoding, errors)
        with handle:
            yield handle

    # ---------------------------------------------------------------------- toil debug-file
    def original_file_name(self, file_id: str) -> Optional[str]:
        """The name a file of a sealed store was written under, from its ID or object key (a
        shared file's from its key); None in a clear store, whose keys show it."""
        if self._sealer is None:
            return None
        parts = str(file_id).split("/")
        if len(parts) >= 2 and _TOKEN.fullmatch(parts[-2]):
            return self._sealer.open_file_name(parts[-1], parts[-2])
        if len(parts) == 2 and parts[0] in ("shared", "plain"):
            return self._sealer.open_shared_name(parts[1])
        return None

    def list_stored_objects(self) -> Iterator[str]:
        """The key of every object of the store (for ``toil debug-file``)."""
        for key, _ in self._objects.list(""):
            yield key

    def fetch_stored_object(self, name: str, local_path: str) -> None:
        """Copy the object ``name`` to ``local_path``: its plaintext, with the keys it was
        stored with (``toil debug-file --fetch``)."""
        if name in (MARKER, S3_LOCK_KEY):
            try:
                data, _ = self._objects.get(name, plain=True)
            except ObjectMissing:
                raise NoSuchFileException(name) from None
            with open(local_path, "wb") as out:
                out.write(data)
            return
        objects = self._objects.without_sse() if name.startswith("plain/") else self._objects
        try:
            reader = objects.open_read(name)
        except ObjectMissing:
            raise NoSuchFileException(name) from None
        with reader, open(local_path, "wb") as out:
            while True:
                chunk = reader.read(_COPY_CHUNK)
                if not chunk:
                    break
                out.write(chunk)

    # ---------------------------------------------------------------------- logs
    @property
    def log_poll_interval(self) -> float:
        """Seconds the leader waits between looks for new log blobs (each look is a LIST):
        short after a look that found blobs, doubling after each empty one (see LOG_POLL_MAX)."""
        return self._log_poll

    def write_logs(self, msg: Union[bytes, str]) -> None:
        data = msg.encode("utf-8") if isinstance(msg, str) else bytes(msg)
        self._objects.put(f"logs/new/{time.time_ns():020d}-{os.urandom(6).hex()}", data)

    def read_logs(self, callback: Callable[[IO[bytes]], Any], read_all: bool = False) -> int:
        """Pass each unread blob (oldest first) to ``callback``, then mark it read (a copy under
        ``logs/read/``, then the delete of the unread one). With ``read_all``, blobs read before
        come first. A blob whose callback raised stays unread."""
        import io

        count = 0
        if read_all:
            for key, _ in list(self._objects.list("logs/read/")):
                try:
                    data, _ = self._objects.get(key)
                except ObjectMissing:
                    continue
                callback(io.BytesIO(data))
                count += 1
        new = list(self._objects.list("logs/new/"))
        self._log_poll = LOG_POLL_MIN if new else min(LOG_POLL_MAX, self._log_poll * 2)
        for key, _ in new:
            try:
                data, _ = self._objects.get(key)
            except ObjectMissing:
                continue  # consumed by another reader
            callback(io.BytesIO(data))
            self._objects.put("logs/read/" + key[len("logs/new/"):], data)
            self._objects.delete(key)
            count += 1
        return count

    # ---------------------------------------------------------------------- import / export
    def _import_file(self, handler: Any, src_uri: str, shared_file_name: Optional[str],
                     hardlink: bool, symlink: bool) -> Optional[FileID]:
        from toil_aws.s3_urls import S3URLAccess

        if not (isinstance(handler, type) and issubclass(handler, S3URLAccess)) or shared_file_name is not None \
                or self._sealer is not None:  # a sealed store encrypts what it imports: no server-side copy
            return super()._import_file(handler, src_uri, shared_file_name, hardlink, symlink)
        bucket, key = S3URLAccess.split(src_uri)
        source = S3URLAccess.client_for(bucket)
        head = S3URLAccess.head(src_uri)
        file_id, own_key = self._new_file_id(None, False, urllib.parse.unquote(key.rsplit("/", 1)[-1]), "file")
        self._objects.copy_in(source, bucket, key, own_key, head.executable)
        return FileID(file_id, head.size, head.executable)

    def _export_file(self, handler: Any, file_id: str, dst_uri: str) -> None:
        from toil_aws.s3_urls import S3URLAccess

        if not (isinstance(handler, type) and issubclass(handler, S3URLAccess)) or self._sealer is not None:
            return super()._export_file(handler, file_id, dst_uri)
        head = self._head_file(file_id)
        if head is None:
            raise self._missing(file_id)
        bucket, key = S3URLAccess.split(dst_uri)
        destination = ObjectStore(lambda: S3URLAccess.client_for(bucket), bucket, None, self._objects.part_size)
        destination.copy_in(self._client(), self.bucket_name, self._file_key(file_id), key, head.executable,
                            source_sse={k: v for k, v in self._objects.sse_args().items()})
