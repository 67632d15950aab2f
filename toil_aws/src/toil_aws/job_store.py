"""AWSJobStore: the ``aws:<region>:<name>`` job store, everything in one S3 bucket.

Layout of the bucket ``<name>--toil`` (no database: S3 is strongly consistent)::

    toil-job-store                      marker, written first and deleted last; holds the format and
                                        the SSE-C key's fingerprint (never encrypted)
    toil-leader-lock                    the running leader's lease (see acquire_leader_lock; clear)
    plain/<name>                        shared files written with encrypted=False (config.pickle)
    shared/<name>                       the other shared files (rootJobStoreID, pid.log, ...)
    jobs/<job id>                       one JSON job description per job (or, once a finished job
                                        with a small promised return value is deleted, its "done"
                                        record holding the value: see JobRecords)
    files/f/<token>/<basename>          stored files; file ID = "f/<token>/<basename>"
    files/r/<job id>                    a job's return value too big for its record (ID "r/<job id>",
                                        the ID promises of the job's value hold)
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
one GET (``load_jobs``, inherited from the core's ObjectJobStore, makes several such GETs in
parallel for the leader), creating or replacing one is one PUT, and no operation but ``jobs()``,
``read_logs()``, ``delete_job()`` (of the job's own prefix), ``--restart``'s clean-up and
``destroy()`` lists.

The store's parts live in one module per concept: job descriptions (:mod:`toil_aws.job_records`),
files and import/export (:mod:`toil_aws.stored_files`), shared files, log blobs and debug-file
access (:mod:`toil_aws.shared_files`), the names of the layout (:mod:`toil_aws.layout`); this
module opens, creates and deletes the store and holds the state the parts share.

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
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

import botocore.exceptions
from toil_core.plugin_api import (
    JobStoreExistsException,
    NoSuchJobStoreException,
    ObjectJobStore,
    ObjectSealer,
    acquire_lease,
    settings_from,
)

from toil_aws import session
from toil_aws.job_records import JobRecords
from toil_aws.layout import CONFIG_FILE, FORMAT, MARKER
from toil_aws.leader_lock import S3Lease
from toil_aws.locator import Locator, parse
from toil_aws.objects import ObjectMissing, ObjectStore
from toil_aws.session import AWSSetupError, error_code, is_missing
from toil_aws.settings import DEFAULT_PART_SIZE, MIN_PART_SIZE, AWSJobStoreSettings
from toil_aws.shared_files import SharedFilesAndLogs
from toil_aws.sse import SSEKeyError, fingerprint, matches, read_key
from toil_aws.stored_files import StoredFiles

if TYPE_CHECKING:
    from toil_core.plugin_api import Config

__all__ = ["AWSJobStore"]

logger = logging.getLogger(__name__)

#: Names the key file for workers and tools (the core's variable for encrypted stores).
KEY_ENV = "TOIL_SSE_KEY"


class AWSJobStore(JobRecords, StoredFiles, SharedFilesAndLogs, ObjectJobStore):
    """A job store in one S3 bucket (see the module docstring for the layout).

    Its parts by concept: job descriptions (:class:`~toil_aws.job_records.JobRecords`), files
    (:class:`~toil_aws.stored_files.StoredFiles`), shared files and log blobs
    (:class:`~toil_aws.shared_files.SharedFilesAndLogs`); this class holds their state, opens,
    creates and deletes the store.

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
        #: (job ID, description bytes) created inside batch(), stored when it ends.
        self._batched: Optional[List[Tuple[str, bytes]]] = None
        #: Return values of jobs' records (see JobRecords: the values promises refer to).
        self._rv_held: Dict[str, str] = {}
        self._rv_cache: "OrderedDict[str, bytes]" = OrderedDict()
        self._rv_cached_bytes = 0
        self._last_deleted: Optional[Tuple[str, Optional[str]]] = None
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

