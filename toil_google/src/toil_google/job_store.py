"""GoogleJobStore: a Toil job store in one Google Cloud Storage bucket.

Locators ``google:<project>:<name>`` and ``google:<name>`` (project from the credentials or
``GOOGLE_CLOUD_PROJECT``) name the bucket ``<name>--toil``. Objects in it::

    _toil/store                         marker: format version and the --sseKey fingerprint
                                        (clear); written first, deleted last
    _toil/leader-lock                   the running leader's lease (see acquire_leader_lock; clear)
    shared/<name>                       shared files (config.pickle, rootJobStoreID, pid.log...)
    jobs/<job id>                       one JSON job description per job
                                        (with --clientSideEncryption no name shows: <basename> and
                                        shared <name>s are sealed, see ObjectSealer.file_name, and
                                        job IDs leave the job's name out)
    files/<token>-<basename>            stored files; file ID "<token>-<basename>"
    files/job/<job>/<token>-<basename>  files written with cleanup=True for a job; file ID
                                        "job/<job>/<token>-<basename>"; delete_job(job) deletes them
    files/job/<job>/attempt/<token>-<basename>
                                        files of attempts at the job (owner attempt-<job>);
                                        delete_job(attempt-<job>) deletes them. One listing of
                                        the job's prefix finds both: the worker's discard of
                                        earlier attempts' files tells it the job's own, so
                                        finishing a leaf job needs no second listing
    logs/new/<stamp>, logs/read/<stamp> stats/logging blobs before and after read_logs

Crash safety: every job, file, shared file and log blob is one object, and an object upload
is atomic (see :mod:`toil_google.objects`), so a process killed at any instant leaves the old
or the new content, never a partial one; nothing needs repairing on ``--restart``.

Encryption: with ``--sseKey`` every object but the marker and ``config.pickle`` is stored with
that customer-supplied key; the marker records the key's SHA-256, so a restart with another key
or none fails at once with :class:`~toil_google.errors.SSEKeyMismatchError`. With
``--clientSideEncryption`` as well, every object but the marker (``config.pickle`` included) is
also sealed in this process before it is sent (:class:`~toil_core.plugin_api.ObjectSealer`); the
marker keeps the clear key record under ``client_side``, and every later process checks its key
(``--sseKey`` of a restart, else ``$TOIL_SSE_KEY``) against it before it reads anything else.
"""
from __future__ import annotations

import io
import json
import logging
import os
import re
import stat
import time
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, Callable, Dict, Iterator, Optional, Tuple, Union

from toil_core.plugin_api import (
    CorruptJobError,
    JobDescription,
    JobStoreExistsException,
    NoSuchFileException,
    NoSuchJobException,
    NoSuchJobStoreException,
    ObjectSealer,
    ObjectJobStore,
    acquire_lease,
    attempt_job_of,
    attempt_owner,
    download_atomically,
)

from toil_google.client import emulator_host, get_client, retry_policy
from toil_google.errors import GoogleStoreError, SSEKeyMismatchError
from toil_google.leader_lock import GCSLease
from toil_google.locator import parse_google_locator
from toil_google.objects import ObjectIO, ObjectMissing, key_fingerprint
from toil_google.transfers import GoogleTransfers

if TYPE_CHECKING:
    from toil_core.plugin_api import Config

__all__ = ["GoogleJobStore"]

logger = logging.getLogger(__name__)

MARKER = "_toil/store"
FORMAT = 1
SHARED, JOBS, FILES, JOB_FILES = "shared/", "jobs/", "files/", "files/job/"
LOGS_NEW, LOGS_READ = "logs/new/", "logs/read/"
#: Shared files stored without the customer-supplied key (needed to learn the key).
CLEAR_SHARED = frozenset({"config.pickle"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
#: The last part of a stored file's object name in a sealed store: ``<token>-<sealed name>``.
_SEALED_FILE = re.compile(r"([0-9a-f]{20})-([a-z2-7]+)")
#: Sub-prefix of a job's files prefix that holds the files of attempts at the job.
ATTEMPT_DIR = "attempt/"


def _safe(name: str, default: str, limit: int = 100) -> str:
    """``[A-Za-z0-9._-]`` only, no leading dot, at most ``limit`` characters (the end kept)."""
    cleaned = _UNSAFE.sub("_", name or "")[-limit:].lstrip(".")
    return cleaned or default


def _read_sse_key(path: str) -> bytes:
    """The 32-byte customer-supplied key on the first line of the ``--sseKey`` file."""
    try:
        with open(path, "rb") as handle:
            key = handle.readline().rstrip(b"\r\n")
    except OSError as err:
        raise GoogleStoreError(f"Cannot read the --sseKey file {path}: {err.strerror or err}. Give a "
                               f"readable file whose first line is a 32-character key.") from err
    if len(key) != 32:
        raise GoogleStoreError(f"The --sseKey file {path} must hold a 32-character key on its first "
                               f"line (found {len(key)} bytes).")
    return key


class GoogleJobStore(GoogleTransfers, ObjectJobStore):
    """A job store in the Cloud Storage bucket ``<name>--toil`` (see the module docstring).

    :param locator: the part of the locator after ``google:``.
    """

    #: ``--sseKey`` is a customer-supplied key Cloud Storage encrypts with (not client-side
    #: encryption, which ``--clientSideEncryption`` asks for).
    server_side_encryption = True

    def __init__(self, locator: str) -> None:
        if locator.startswith("google:"):
            locator = locator[len("google:"):]
        #: Generation of each job description this process last read or wrote (see update_job).
        self._generations: Dict[str, int] = {}
        super().__init__(locator)
        self.project, self.name, self.bucket_name = parse_google_locator(locator)
        self._io: Optional[ObjectIO] = None
        self._io_key_path: Optional[str] = "unset"
        self._marker: Optional[Dict[str, Any]] = None
        #: The key file given with provide_key() (``--sseKey`` of a restart); overrides the config's.
        self._provided_key: Optional[str] = None
        self._key_provided = False
        #: Client-side encryption (``--clientSideEncryption``), or None.
        self._sealer: Optional[ObjectSealer] = None

    def __repr__(self) -> str:
        return f"GoogleJobStore({self.locator!r})"

    # ---------------------------------------------------------------------- plumbing
    @property
    def client(self) -> Any:
        return get_client(self.project)

    @property
    def objects(self) -> ObjectIO:
        """The object I/O for the current config's key (rebuilt when ``--sseKey`` changes)."""
        path = self._provided_key if self._key_provided else (self._config.sseKey if self._config is not None else None)
        if self._io is None or path != self._io_key_path:
            key = _read_sse_key(path) if path else None
            self._io = ObjectIO(self.client, self.bucket_name, key, self._sealer)
            self._io_key_path = path
        return self._io

    def _set_sealer(self, sealer: Optional[ObjectSealer]) -> None:
        self._sealer = sealer
        self._io = None  # rebuilt with it

    def _plain(self) -> ObjectIO:
        """Object I/O without the customer-supplied key (config.pickle, listings), sealing kept."""
        return ObjectIO(self.client, self.bucket_name, None, self._sealer)

    def _marker_io(self) -> ObjectIO:
        """Object I/O for the marker: neither key nor sealing."""
        return ObjectIO(self.client, self.bucket_name, None)

    def _read_marker(self) -> Optional[Dict[str, Any]]:
        try:
            return json.loads(self._marker_io().get_bytes(MARKER, encrypted=False))
        except ObjectMissing:
            return None
        except Exception as err:
            if _is_missing_bucket(err):
                return None
            raise

    def _check_key(self) -> None:
        """Refuse a --sseKey that is not the one the store was created with."""
        if self._marker is None:
            self._marker = self._read_marker()
        if self._marker is None:
            return
        recorded = self._marker.get("keySha256")
        key = self.objects.key
        given = key_fingerprint(key) if key is not None else None
        if recorded == given:
            return
        if recorded is None:
            raise SSEKeyMismatchError(self.locator, "was created without --sseKey, but one was given; "
                                                    "run it without --sseKey")
        if given is None:
            raise SSEKeyMismatchError(self.locator, "was created with an --sseKey, but none was given")
        raise SSEKeyMismatchError(self.locator, "was created with a different --sseKey")

    def provide_key(self, key_path: Optional[str]) -> None:
        """The ``--sseKey`` file to use (None: no key) instead of the stored config's; checked
        against the store's marker by :meth:`resume`, before anything else is read."""
        self._provided_key = os.path.abspath(key_path) if key_path else None
        self._key_provided = True

    def acquire_leader_lock(self) -> Any:
        """Take the store's leader lock (a lease object; see :mod:`toil_google.leader_lock`).

        :raises JobStoreInUseError: while a live leader holds it; a leader killed on this host
            leaves a lock the next one takes over at once, one on another host after its lease
            expires."""
        return acquire_lease(GCSLease(self.client, self.bucket_name), f"google:{self.locator}")

    def get_env(self) -> Dict[str, str]:
        env = dict(super().get_env())
        if self._sealer is not None:
            env.update(self._sealer.env())
        host = emulator_host()
        if host:
            env["STORAGE_EMULATOR_HOST"] = host
        for name in ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT"):
            if os.environ.get(name):
                env[name] = os.environ[name]
        return env

    # ---------------------------------------------------------------------- lifecycle
    def initialize(self, config: Config) -> None:
        from google.api_core import exceptions as gexc

        key_path = config.sseKey
        key = _read_sse_key(key_path) if key_path else None
        # Checked (key file, cryptography installed) before anything is made.
        self._set_sealer(ObjectSealer.create(f"google:{self.locator}", key_path)
                         if ObjectSealer.wanted(config) else None)
        try:
            self.client.create_bucket(self.bucket_name, retry=retry_policy())
        except gexc.Conflict:
            if self._read_marker() is not None:
                raise JobStoreExistsException(f"google:{self.locator}") from None
            if self._bucket_has_objects():
                raise GoogleStoreError(
                    f"Cannot create the job store 'google:{self.locator}': the bucket "
                    f"'{self.bucket_name}' exists and is not a Toil job store (or belongs to someone "
                    f"else). Choose another name.") from None
            logger.debug("Reusing the empty bucket %s (an earlier initialize was interrupted)",
                         self.bucket_name)
        marker = {"format": FORMAT, "keySha256": key_fingerprint(key) if key is not None else None,
                  "created": time.time()}
        if self._sealer is not None:
            marker["client_side"] = self._sealer.record().decode("utf-8")
        try:
            self._marker_io().put_bytes(MARKER, json.dumps(marker).encode("utf-8"), encrypted=False)
            self._marker = marker
            # The config is written last: a store without it counts as never created.
            super().initialize(config)
        except BaseException:
            self.destroy()  # nothing a restart could use was stored
            raise

    def resume(self) -> None:
        self._marker = self._read_marker()
        if self._marker is None:
            raise NoSuchJobStoreException(f"google:{self.locator}")
        record = self._marker.get("client_side")
        # The sealing key: the restart's --sseKey, else $TOIL_SSE_KEY (workers, toil status);
        # checked against the record before anything else is read.
        self._set_sealer(ObjectSealer.open(f"google:{self.locator}", str(record).encode("utf-8"),
                                           self._provided_key if self._key_provided else None)
                         if record else None)
        if self._key_provided:
            self._check_key()  # a wrong key is refused before anything is read
        super().resume()
        self._check_key()

    def write_config(self) -> None:
        """Save the config; first make sure its --sseKey is the store's (checked on restart)."""
        self._key_provided = False  # from now on the config names the key
        self._check_key()
        super().write_config()

    def shared_file_location(self, shared_file_name: str) -> str:
        return f"gs://{self.bucket_name}/{self._shared_object(shared_file_name)}"

    def _shared_object(self, shared_file_name: str) -> str:
        """The object holding a shared file (its name sealed in a sealed store)."""
        if self._sealer is not None:
            return SHARED + self._sealer.shared_name(shared_file_name)
        return SHARED + shared_file_name

    def _bucket_has_objects(self) -> bool:
        try:
            return any(True for _ in self.client.list_blobs(self.bucket_name, max_results=1,
                                                            retry=retry_policy()))
        except Exception as err:
            if _is_missing_bucket(err):
                return False
            raise

    def destroy(self) -> None:
        """Delete every object, the marker last, then the bucket. Idempotent; a bucket that is
        not a Toil job store (no marker, not empty) is left alone."""
        from google.api_core import exceptions as gexc

        bucket = self.client.bucket(self.bucket_name)
        marker = self._read_marker()
        if marker is None:
            try:
                if self._bucket_has_objects():
                    raise GoogleStoreError(
                        f"Refusing to delete the bucket '{self.bucket_name}': it is not empty and is "
                        f"not a Toil job store (no {MARKER} object).")
                bucket.delete(retry=retry_policy())
            except gexc.NotFound:
                pass
            return
        plain = self._plain()
        names = [info.name for info in plain.list("") if info.name != MARKER]
        self._delete_names(names)
        self._marker_io().delete(MARKER)
        for attempt in range(3):  # objects written while we deleted: delete them too
            try:
                bucket.delete(retry=retry_policy())
                break
            except gexc.NotFound:
                break
            except gexc.Conflict:
                leftovers = [info.name for info in plain.list("")]
                if not leftovers and attempt:
                    # Empty, but the server still counts an unfinished upload (an emulator that
                    # cannot cancel resumable sessions): the store itself is gone already.
                    logger.warning("The bucket %s is empty but could not be deleted yet (an upload "
                                   "is still pending); delete it later", self.bucket_name)
                    break
                self._delete_names(leftovers)
                time.sleep(0.2)
        self._marker = None

    def _delete_names(self, names: list) -> None:
        """Delete many objects, in batches of 100 requests where the server allows."""
        plain = self._plain()
        for start in range(0, len(names), 100):
            chunk = names[start:start + 100]
            try:
                with self.client.batch(raise_exception=False):
                    for name in chunk:
                        plain.bucket.blob(name).delete()
            except Exception as err:  # no batch support: one by one
                logger.debug("Batch delete failed (%s); deleting one by one", err)
                plain.delete_many(chunk)

    def default_caching(self) -> bool:
        return True

    # ---------------------------------------------------------------------- jobs
    def _job_name(self, job_id: str) -> str:
        if not job_id or "/" in str(job_id):
            raise NoSuchJobException(job_id)
        return JOBS + str(job_id)

    def assign_job_id(self, job_description: JobDescription) -> None:
        if self._sealer is not None:  # the job's name is the user's: only in the sealed description
            job_description.jobStoreID = os.urandom(10).hex()
            return
        name = _safe(job_description.jobName or "job", "job", 60)
        job_description.jobStoreID = f"{name}-{os.urandom(10).hex()}"

    def create_job(self, job_description: JobDescription) -> JobDescription:
        if job_description.jobStoreID is None:
            self.assign_job_id(job_description)
        job_id = str(job_description.jobStoreID)
        self._remember(job_id, self.objects.put_bytes(self._job_name(job_id), job_description.to_bytes()))
        return job_description

    def _remember(self, job_id: str, generation: Optional[int]) -> None:
        """Note the generation of the job's description this process last read or wrote, so an
        update is one conditional upload without looking first."""
        if generation:
            self._generations[job_id] = generation
        else:
            self._generations.pop(job_id, None)

    def job_exists(self, job_id: str) -> bool:
        try:
            return self.objects.exists(self._job_name(job_id))
        except NoSuchJobException:
            return False

    def load_job(self, job_id: str) -> JobDescription:
        name = self._job_name(job_id)
        try:
            raw, generation = self.objects.get_bytes_and_generation(name)
        except ObjectMissing:
            self._generations.pop(str(job_id), None)
            raise NoSuchJobException(job_id) from None
        where = f"gs://{self.bucket_name}/{name}"
        try:
            desc = JobDescription.from_bytes(raw)
        except (ValueError, UnicodeDecodeError, TypeError, KeyError, AttributeError) as err:
            raise CorruptJobError(job_id, where, err, f"google:{self.locator}") from err
        if desc.jobStoreID != job_id:
            raise CorruptJobError(job_id, where, f"it describes job '{desc.jobStoreID}'",
                                  f"google:{self.locator}")
        self._remember(str(job_id), generation)
        return desc

    def update_job(self, job_description: JobDescription) -> None:
        """Atomically replace the stored description; a deleted job is never recreated
        (:class:`NoSuchJobException`). On Cloud Storage the write is conditional on the
        generation just seen (by this process's last read or write of it, else by a look
        first), so a delete in between is detected too."""
        from google.api_core import exceptions as gexc

        job_id = str(job_description.jobStoreID)
        name = self._job_name(job_id)
        known = self._generations.pop(job_id, None)
        for _ in range(5):
            if known is None:
                info = self.objects.stat(name)
                if info is None:
                    raise NoSuchJobException(job_id)
                known = info.generation
            generation, known = known, None
            job_description.version += 1
            try:
                self._remember(job_id, self.objects.put_bytes(name, job_description.to_bytes(),
                                                              if_generation_match=generation))
                return
            except gexc.PreconditionFailed:
                job_description.version -= 1  # changed or deleted meanwhile: look again
            except BaseException:
                job_description.version -= 1
                raise
        raise GoogleStoreError(f"The job '{job_id}' kept changing while it was being updated.")

    def delete_job(self, job_id: str) -> None:
        """Delete the job's files, then its description; for an attempt owner
        (``attempt-<job>``), the files of the attempts at the job.

        Both kinds are found by one listing of the job's prefix. A worker discards the files of
        earlier attempts right before an attempt and keeps what that listing found of the job's
        own files; when the same attempt (its attempt-scoped view of this store) finishes a leaf
        job, those and the ones it wrote since are deleted without listing again: while an
        attempt runs, only its worker writes files for the job."""
        try:
            name = self._job_name(job_id)
        except NoSuchJobException:
            return
        job_id = str(job_id)
        attempts_of = attempt_job_of(job_id)
        if attempts_of is not None:
            prefix = f"{JOB_FILES}{self._job_name(attempts_of)[len(JOBS):]}/"
            own: set = set()
            stale = []
            for info in self.objects.list(prefix):
                if info.name.startswith(prefix + ATTEMPT_DIR):
                    stale.append(info.name)
                else:
                    own.add(info.name)
            self._delete_names(stale)
            self._keep_owned(attempts_of, own)
            return
        own_names = self._owned.pop(job_id, None)
        if own_names is None or getattr(self, "_attempt_owner", None) != attempt_owner(job_id):
            prefix = f"{JOB_FILES}{job_id}/"
            own_names = {info.name for info in self.objects.list(prefix)
                         if not info.name.startswith(prefix + ATTEMPT_DIR)}
        # The job's files go first: a crash in between leaves the job, to be deleted again,
        # rather than files nobody will ever delete.
        self._delete_names(sorted(own_names))
        self._generations.pop(job_id, None)
        self.objects.delete(name)

    def jobs(self) -> Iterator[JobDescription]:
        for info in list(self.objects.list(JOBS)):
            try:
                yield self.load_job(info.name[len(JOBS):])
            except NoSuchJobException:
                continue  # deleted while we iterate

    def job_file_owners(self) -> Iterator[str]:
        """IDs of the jobs that files written with ``cleanup=True`` belong to, whether or not
        the job still exists (the files of attempts at a job are under the job's ID too);
        ``delete_job(owner)`` deletes the job's own files, ``delete_job(attempt_owner(owner))``
        those of its attempts."""
        for prefix in self.objects.list_prefixes(JOB_FILES):
            yield prefix[len(JOB_FILES):].rstrip("/")

    # ---------------------------------------------------------------------- files
    def _file_name(self, file_id: str) -> str:
        fid = str(file_id)
        if not fid or fid.startswith("/") or fid.endswith("/"):
            raise NoSuchFileException(file_id)
        return FILES + fid

    def _new_file_id(self, job_id: Optional[str], cleanup: bool, basename: Optional[str],
                     default: str = "stream") -> Tuple[str, str]:
        """``(file ID, object name)`` of a new file. Same shape as the file job store's helper,
        which the worker's attempt scoping calls to name reserved files without a request."""
        token = os.urandom(10).hex()
        name = _safe(basename or "", default)
        if self._sealer is not None:
            name = self._sealer.file_name(basename or default, token)
        if cleanup and job_id is not None:
            owner = str(job_id)
            if not owner or "/" in owner:
                raise NoSuchJobException(job_id)
            attempts_of = attempt_job_of(owner)
            if attempts_of is not None:
                file_id = f"job/{attempts_of}/{ATTEMPT_DIR}{token}-{name}"
            else:
                file_id = f"job/{owner}/{token}-{name}"
                own = self._owned.get(owner)
                if own is not None:
                    own.add(FILES + file_id)  # (before it exists: deleting a missing one is harmless)
        else:
            file_id = f"{token}-{name}"
        return file_id, FILES + file_id

    def _owned_key(self, file_id: str) -> str:
        return self._file_name(file_id)

    def _missing(self, file_id: str) -> NoSuchFileException:
        return NoSuchFileException(
            file_id, None,
            f"(no object for it in gs://{self.bucket_name}). Pass a file ID returned by "
            f"writeGlobalFile or importFile in this workflow; if it was one, the file was deleted.")

    def write_file(self, local_path: str, job_id: Optional[str] = None, cleanup: bool = False) -> str:
        file_id, name = self._new_file_id(job_id, cleanup, os.path.basename(local_path), "file")
        executable = bool(os.stat(local_path).st_mode & stat.S_IXUSR)
        self.objects.put_file(name, local_path, _exec_meta(executable))
        return file_id

    @contextmanager
    def write_file_stream(self, job_id: Optional[str] = None, cleanup: bool = False,
                          basename: Optional[str] = None, encoding: Optional[str] = None,
                          errors: Optional[str] = None) -> Iterator[Tuple[IO[Any], str]]:
        file_id, name = self._new_file_id(job_id, cleanup, basename)
        with self.objects.writer(name, encoding=encoding, errors=errors) as handle:
            yield handle, file_id

    def get_empty_file_store_id(self, job_id: Optional[str] = None, cleanup: bool = False,
                                basename: Optional[str] = None) -> str:
        file_id, name = self._new_file_id(job_id, cleanup, basename)
        self.objects.put_bytes(name, b"")
        return file_id

    def reserve_file_id(self) -> str:
        """A fresh file ID; nothing is stored until :meth:`write_reserved_file_stream`."""
        return self._new_file_id(None, False, None)[0]

    @contextmanager
    def write_reserved_file_stream(self, file_id: str) -> Iterator[IO[Any]]:
        with self.objects.writer(self._file_name(file_id)) as handle:
            yield handle

    def read_file(self, file_id: str, local_path: str, symlink: bool = False) -> None:
        """Download the file to ``local_path`` atomically (executable bit kept)."""
        name = self._file_name(file_id)

        def fill(tmp: str) -> bool:
            try:
                return self.objects.download_to(name, tmp).get("executable") == "1"
            except ObjectMissing:
                raise self._missing(file_id) from None

        download_atomically(local_path, fill)

    @contextmanager
    def read_file_stream(self, file_id: str, encoding: Optional[str] = None,
                         errors: Optional[str] = None) -> Iterator[IO[Any]]:
        try:
            raw = self.objects.reader(self._file_name(file_id))
        except (ObjectMissing, NoSuchFileException):
            raise self._missing(file_id) from None
        with _wrap_reader(raw, encoding, errors) as handle:
            yield handle

    def delete_file(self, file_id: str) -> None:
        try:
            self.objects.delete(self._file_name(file_id))
        except NoSuchFileException:
            pass

    def file_exists(self, file_id: str) -> bool:
        try:
            return self.objects.exists(self._file_name(file_id))
        except NoSuchFileException:
            return False

    def get_file_size(self, file_id: str) -> int:
        try:
            info = self.objects.stat(self._file_name(file_id))
        except NoSuchFileException:
            return 0
        return info.size if info is not None else 0

    def update_file(self, file_id: str, local_path: str) -> None:
        name = self._file_name(file_id)
        if not self.objects.exists(name):
            raise NoSuchFileException(file_id)
        executable = bool(os.stat(local_path).st_mode & stat.S_IXUSR)
        self.objects.put_file(name, local_path, _exec_meta(executable))

    @contextmanager
    def update_file_stream(self, file_id: str, encoding: Optional[str] = None,
                           errors: Optional[str] = None) -> Iterator[IO[Any]]:
        name = self._file_name(file_id)
        info = self.objects.stat(name)
        if info is None:
            raise NoSuchFileException(file_id)

        def still_there() -> None:  # a file deleted while we wrote stays deleted
            if not self.objects.exists(name):
                raise NoSuchFileException(file_id)

        with self.objects.writer(name, info.metadata or None, encoding=encoding, errors=errors,
                                 before_commit=still_there) as handle:
            yield handle

    # ---------------------------------------------------------------------- shared files
    @contextmanager
    def write_shared_file_stream(self, shared_file_name: str, encrypted: Optional[bool] = None,
                                 encoding: Optional[str] = None,
                                 errors: Optional[str] = None) -> Iterator[IO[Any]]:
        self._check_shared_name(shared_file_name)
        clear = encrypted is False or shared_file_name in CLEAR_SHARED
        with self.objects.writer(self._shared_object(shared_file_name), encrypted=not clear, encoding=encoding,
                                 errors=errors) as handle:
            yield handle

    @contextmanager
    def read_shared_file_stream(self, shared_file_name: str, encoding: Optional[str] = None,
                                errors: Optional[str] = None) -> Iterator[IO[Any]]:
        self._check_shared_name(shared_file_name)
        name = self._shared_object(shared_file_name)
        clear = shared_file_name in CLEAR_SHARED
        try:
            io_ = self._plain() if clear else self.objects
            try:
                raw = io_.reader(name, encrypted=not clear)
            except Exception as err:
                if io_.key is None or not _is_not_encrypted_error(err):
                    raise
                raw = io_.reader(name, encrypted=False)  # written with encrypted=False
        except ObjectMissing:
            raise NoSuchFileException(shared_file_name) from None
        except Exception as err:
            if _is_missing_bucket(err):
                raise NoSuchFileException(shared_file_name) from None
            raise
        with _wrap_reader(raw, encoding, errors) as handle:
            yield handle

    # ---------------------------------------------------------------------- toil debug-file
    def original_file_name(self, file_id: str) -> Optional[str]:
        """The name a file of a sealed store was written under, from its ID or object name (a
        shared file's from its object name); None in a clear store, whose names show it."""
        if self._sealer is None:
            return None
        parent, _, base = str(file_id).rpartition("/")
        match = _SEALED_FILE.fullmatch(base)
        if match is not None:
            return self._sealer.open_file_name(match.group(2), match.group(1))
        if parent + "/" == SHARED:
            return self._sealer.open_shared_name(base)
        return None

    def list_stored_objects(self) -> Iterator[str]:
        """The name of every object of the store (for ``toil debug-file``)."""
        for info in self._plain().list(""):
            yield info.name

    def fetch_stored_object(self, name: str, local_path: str) -> None:
        """Copy object ``name`` to ``local_path`` (``toil debug-file --fetch``)."""
        clear = name == MARKER or name in {self._shared_object(n) for n in CLEAR_SHARED}
        io_ = self._marker_io() if name == MARKER else self._plain() if clear else self.objects
        try:
            io_.download_to(name, local_path, encrypted=not clear)
        except ObjectMissing:
            raise NoSuchFileException(name) from None

    # ---------------------------------------------------------------------- logs
    def write_logs(self, msg: Union[bytes, str]) -> None:
        data = msg.encode("utf-8") if isinstance(msg, str) else bytes(msg)
        self.objects.put_bytes(f"{LOGS_NEW}{time.time_ns():020d}-{os.urandom(6).hex()}", data)

    def read_logs(self, callback: Callable[[IO[bytes]], Any], read_all: bool = False) -> int:
        """Pass each unread blob (oldest first) to ``callback``, then move it to ``logs/read/``
        (a server-side copy, then a delete). With ``read_all``, blobs read before come first.
        A blob whose callback raised stays unread."""
        count = 0
        objects = self.objects
        if read_all:
            for info in list(objects.list(LOGS_READ)):
                try:
                    data = objects.get_bytes(info.name)
                except ObjectMissing:
                    continue
                callback(io.BytesIO(data))
                count += 1
        new = list(objects.list(LOGS_NEW))
        self._log_polling.looked(bool(new))
        for info in new:
            try:
                data = objects.get_bytes(info.name)
            except ObjectMissing:
                continue  # consumed by another reader
            callback(io.BytesIO(data))
            stamp = info.name[len(LOGS_NEW):]
            objects.copy_from(self.bucket_name, info.name, LOGS_READ + stamp, source_key=objects.key)
            objects.delete(info.name)
            count += 1
        return count


def _exec_meta(executable: bool) -> Optional[Dict[str, str]]:
    return {"executable": "1"} if executable else None


@contextmanager
def _wrap_reader(raw: Any, encoding: Optional[str], errors: Optional[str]) -> Iterator[IO[Any]]:
    handle: IO[Any] = io.BufferedReader(raw, buffer_size=1024 * 1024)
    if encoding is not None or errors is not None:
        handle = io.TextIOWrapper(handle, encoding=encoding or "utf-8", errors=errors)
    with handle:
        yield handle


def _is_missing_bucket(err: BaseException) -> bool:
    return getattr(err, "code", None) == 404 or "bucket does not exist" in str(err).lower()


def _is_not_encrypted_error(err: BaseException) -> bool:
    return getattr(err, "code", None) == 400 and "not encrypted" in str(err).lower()
