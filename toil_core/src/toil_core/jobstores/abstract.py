"""AbstractJobStore: the interface every job store implements (Toil 5.10 names).

Snake_case methods are the 5.10 API; the camelCase names of earlier releases are kept as thin
aliases at the end of the class (see :mod:`toil_core.jobstores._aliases`). Subclasses implement
the abstract job and file methods; configuration, the root job, the leader's pid/node/kill-flag
files and URL import/export are written here on top of the shared-file methods.
"""
from __future__ import annotations

import logging
import os
import pickle
import re
import socket
import urllib.parse
import uuid
from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from datetime import timedelta
from typing import IO, TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union, cast

from ..filestores.file_id import FileID
from ..job.description import JobDescription
from ..job.errors import JobException
from . import url_access as _url
from ._aliases import CamelCaseAliases
from .errors import CorruptJobStoreError, NoSuchFileException, NoSuchJobException, NoSuchJobStoreException

if TYPE_CHECKING:
    from ..common.config import Config

__all__ = ["AbstractJobStore", "get_node_id", "get_url_access_for"]

logger = logging.getLogger(__name__)

CONFIG_FILE = "config.pickle"
ROOT_RETURN_VALUE_FILE = "rootJobReturnValue"
LEADER_PID_FILE = "pid.log"
LEADER_NODE_ID_FILE = "leader_node_id.log"
KILL_FLAG_FILE = "_toil_kill_flag"


# ------------------------------------------------------------------------------ URL handlers
_UNSET: Any = object()
_registry_function: Any = _UNSET


def _builtin_url_access(scheme: str) -> Optional[type]:
    """Fallback used when the plugin registry is unavailable or has no built-in entry."""
    return _url.builtin_url_access(scheme)


def _registry_get_url_access() -> Optional[Callable[[str], Any]]:
    global _registry_function
    if _registry_function is _UNSET:
        found: Optional[Callable[[str], Any]]
        try:
            # lazy: workers open job stores; the plugin registry is slow to import
            from toil_core.plugins.registry import get_url_access as found
        except ImportError:
            found = None
        _registry_function = found
    return _registry_function


def _as_handler(found: Any) -> Any:
    if found is None or hasattr(found, "read_from_url"):
        return found
    if hasattr(found, "load_object"):  # a spec record
        found = found.load_object()
    return _url.as_url_access(found)  # a class written for upstream Toil's URLAccess


def get_url_access_for(url: str, export: bool) -> Any:
    """The URL access handler (class) able to import from / export to ``url``.

    Looks the scheme up in the plugin registry; the built-in ``file``/``http(s)``/``ftp``
    handlers are used when the registry is absent or does not (yet) list them.

    :raises RuntimeError: "No job store implementation supports importing/exporting for URL ...".
    """
    scheme = _url.url_scheme(url)
    direction = "exporting" if export else "importing"
    message = f"No job store implementation supports {direction} for URL '{url}'"
    handler: Any = None
    lookup = _registry_get_url_access()
    if lookup is not None:
        try:
            handler = _as_handler(lookup(scheme))
        except LookupError as err:
            handler = _builtin_url_access(scheme)
            if handler is None:
                raise RuntimeError(message) from err
        except Exception as err:
            handler = _builtin_url_access(scheme)
            if handler is None:
                if _is_not_installed(err):
                    # The plugin error says how to install the scheme, or which ones are installed.
                    raise RuntimeError(f"{message}. {err}") from err
                raise
            logger.debug("URL scheme %r: plugin registry failed (%s); using the built-in handler",
                         scheme, err)
    if handler is None:
        handler = _builtin_url_access(scheme)
    if handler is None or not handler.supports_url(url, export):
        raise RuntimeError(message)
    return handler


def _is_not_installed(err: BaseException) -> bool:
    try:
        # lazy: workers open job stores; the plugin registry is slow to import
        from toil_core.plugins.errors import PluginNotInstalledError
    except ImportError:  # pragma: no cover - the plugin package is part of the core
        return False
    return isinstance(err, PluginNotInstalledError)


def get_node_id() -> str:
    """An identifier of this machine (boot id or machine id, plus the host name).

    The leader records it with :meth:`AbstractJobStore.write_leader_node_id`, so that a later
    process can tell whether the recorded leader pid refers to a process on its own node.
    """
    ident = ""
    for path in ("/proc/sys/kernel/random/boot_id", "/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            with open(path) as handle:
                ident = handle.read().strip()
        except OSError:
            continue
        if ident:
            break
    if not ident:
        ident = f"{uuid.getnode():012x}"
    return f"{ident}@{socket.gethostname()}"


def _url_basename(url: str) -> Optional[str]:
    path = url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    base = urllib.parse.unquote(os.path.basename(path))
    return base or None


# ------------------------------------------------------------------------------ the class
class AbstractJobStore(CamelCaseAliases, metaclass=ABCMeta):
    """Represents the physical storage for the jobs and files of one Toil workflow.

    Not usable until :meth:`initialize` or :meth:`resume` is called (:meth:`destroy` is
    always allowed).
    """

    rootJobStoreIDFileName = "rootJobStoreID"
    sharedFileNameRegex = re.compile(r"^[a-zA-Z0-9._-]+$")
    #: Upstream documentation refers to the shared-file regex by this name too.
    fileNameRegex = sharedFileNameRegex
    publicUrlExpiration = timedelta(days=365)
    #: Capability: the storage service encrypts what it holds with the ``--sseKey`` key itself
    #: (cloud stores); when False, ``--sseKey`` makes the store encrypt client side.
    server_side_encryption: bool = False

    def __init__(self, locator: str) -> None:
        self._locator = locator
        self._config: Optional[Config] = None

    # ---------------------------------------------------------------------- identity, config
    @property
    def locator(self) -> str:
        """The locator that names this job store (without the ``file:``-style prefix)."""
        return self._locator

    @property
    def config(self) -> Config:
        """The workflow's Config (None before :meth:`initialize` / :meth:`resume`, which only
        code that checks for it may read)."""
        return cast("Config", self._config)

    def initialize(self, config: Config) -> None:
        """Create the storage, give ``config`` a workflow ID if it has none, and save it.

        :raises JobStoreExistsException: if the storage already exists.
        """
        if config.workflowID is None:
            config.workflowID = str(uuid.uuid4())
        self._config = config
        self.write_config()

    def write_config(self) -> None:
        """Persist :attr:`config` as the shared file ``config.pickle``."""
        with self.write_shared_file_stream(CONFIG_FILE, encrypted=False) as handle:
            pickle.dump(self._config, handle, protocol=pickle.HIGHEST_PROTOCOL)

    def resume(self) -> None:
        """Connect to existing storage and load its Config.

        :raises NoSuchJobStoreException: if there is no (complete) job store here.
        :raises CorruptJobStoreError: if the stored config cannot be unpickled.
        """
        try:
            with self.read_shared_file_stream(CONFIG_FILE) as handle:
                self._config = pickle.load(handle)
        except NoSuchFileException:
            raise NoSuchJobStoreException(self.locator) from None
        except Exception as err:  # truncated or garbled: any unpickling error
            raise CorruptJobStoreError(self.locator, self.shared_file_location(CONFIG_FILE), err) from err

    def provide_key(self, key_path: Optional[str]) -> None:
        """The key file (``--sseKey``) to open an encrypted store with, given before
        :meth:`resume`. Stores without client-side encryption ignore it."""

    def shared_file_location(self, shared_file_name: str) -> str:
        """Where a shared file lives, for messages (stores with real paths give the path)."""
        return f"{shared_file_name} (shared file)"

    def acquire_leader_lock(self) -> Any:
        """Make sure no other leader uses this store while this process runs the workflow.

        Returns an object whose ``release()`` frees the lock, or None when the store cannot
        lock (this base implementation). Stores that can lock raise
        :class:`~toil_core.jobstores.errors.JobStoreInUseError` while another leader holds it.
        """
        return None

    @abstractmethod
    def destroy(self) -> None:
        """Delete the storage. Idempotent."""

    def get_env(self) -> Dict[str, str]:
        """Environment variables a worker needs to use this job store."""
        return {}

    def default_caching(self) -> bool:
        """Whether this job store prefers the caching file store."""
        return True

    def original_file_name(self, file_id: str) -> Optional[str]:
        """The name a file was written under when its ID hides it (client-side encrypted stores,
        see :mod:`toil_core.jobstores.sealed_names`); None when the ID shows it or holds none."""
        return None

    # ---------------------------------------------------------------------- root job
    def set_root_job(self, job_id: str) -> None:
        """Record ``job_id`` as the workflow's root job."""
        with self.write_shared_file_stream(self.rootJobStoreIDFileName) as handle:
            handle.write(str(job_id).encode("utf-8"))

    def root_job_id(self) -> Optional[str]:
        """The root job's ID, or None if none was set."""
        try:
            with self.read_shared_file_stream(self.rootJobStoreIDFileName) as handle:
                return handle.read().decode("utf-8")
        except NoSuchFileException:
            return None

    def load_root_job(self) -> JobDescription:
        """Load the root job's description.

        :raises JobException: if no root job is set or it no longer exists.
        """
        job_id = self.root_job_id()
        if job_id is None:
            raise JobException("No job has been set as the root in this job store")
        try:
            return self.load_job(job_id)
        except NoSuchJobException:
            raise JobException(
                f"The root job '{job_id}' doesn't exist. Either the Toil workflow is finished or "
                "has never been started"
            ) from None

    def create_root_job(self, job_description: JobDescription) -> JobDescription:
        """Create ``job_description`` (assigning an ID if needed) and make it the root job."""
        if job_description.jobStoreID is None:
            self.assign_job_id(job_description)
        self.create_job(job_description)
        self.set_root_job(job_description.jobStoreID)  # type: ignore[arg-type]
        return job_description

    def get_root_job_return_value(self) -> Any:
        """Unpickle the shared file ``rootJobReturnValue``.

        :raises NoSuchFileException: if the root job has not stored its return value.
        """
        with self.read_shared_file_stream(ROOT_RETURN_VALUE_FILE) as handle:
            return pickle.load(handle)

    # ---------------------------------------------------------------------- jobs
    @abstractmethod
    def assign_job_id(self, job_description: JobDescription) -> None:
        """Give ``job_description`` a new, unique ``jobStoreID``."""

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group job creations (the base implementation simply runs them one by one)."""
        yield

    @abstractmethod
    def create_job(self, job_description: JobDescription) -> JobDescription:
        """Store a new job description (its ID must be assigned) and return it."""

    @abstractmethod
    def job_exists(self, job_id: str) -> bool:
        """True if a description of the job is stored."""

    @abstractmethod
    def load_job(self, job_id: str) -> JobDescription:
        """Load a stored job description. :raises NoSuchJobException:"""

    def load_jobs(self, job_ids: Iterable[str]) -> Dict[str, Optional[JobDescription]]:
        """Load several stored job descriptions at once: job ID -> description, or None for a
        job that is not stored (finished and deleted).

        The leader reads many descriptions at a time (a finished job's children, the jobs whose
        workers just exited); stores whose every read is a round trip to a service override this
        to make the reads together. The default loads them one by one."""
        found: Dict[str, Optional[JobDescription]] = {}
        for job_id in job_ids:
            try:
                found[job_id] = self.load_job(job_id)
            except NoSuchJobException:
                found[job_id] = None
        return found

    @abstractmethod
    def update_job(self, job_description: JobDescription) -> None:
        """Atomically replace the stored description (``version`` is incremented first)."""

    @abstractmethod
    def delete_job(self, job_id: str) -> None:
        """Delete a job and the files written for it with ``cleanup=True``. Idempotent."""

    def first_attempt(self, job_id: str, files: Sequence[str] = ()) -> None:
        """A worker starts the first attempt at ``job_id`` (a job that is ``fresh``): no file
        belongs to attempts at the job yet, and the job owns only ``files`` (its pickled body,
        when that is not inline), so nothing needs discarding
        (:func:`toil_core.job.attempt_files.begin_attempt`). Stores that list a job's files to
        delete it may remember that the job owns only ``files`` and what this process writes for
        it from now on. The default does nothing."""

    def finish_note(self, job_id: str) -> Optional[str]:
        """A worker in this process has just deleted ``job_id`` (it finished with nothing left to
        run): a short note (printable ASCII, no whitespace) the batch system may hand to the
        leader with the worker's exit status, so that the leader learns the job is gone without
        reading it back (:meth:`absorb_finish_note`). None (the default): the leader reads the job
        back as usual. Only an optimisation: the store holds the truth, and a leader that gets
        no note (another batch system, a worker that died) reads it."""
        return None

    def absorb_finish_note(self, job_id: str, note: str) -> bool:
        """In the leader: take what :meth:`finish_note` said of ``job_id`` in a worker. True if
        the note says the job is finished and deleted (the leader then does not read it back);
        False for a note this store does not understand (the leader reads the job back)."""
        return False

    @abstractmethod
    def jobs(self) -> Iterator[JobDescription]:
        """Best-effort iterator over every stored job description."""

    # ---------------------------------------------------------------------- files
    @abstractmethod
    def write_file(self, local_path: str, job_id: Optional[str] = None, cleanup: bool = False) -> str:
        """Store a copy of the local file and return its new ID."""

    @abstractmethod
    def write_file_stream(self, job_id: Optional[str] = None, cleanup: bool = False,
                          basename: Optional[str] = None, encoding: Optional[str] = None,
                          errors: Optional[str] = None) -> Any:
        """Context manager yielding ``(handle, file_id)``; the file appears on clean exit."""

    @abstractmethod
    def get_empty_file_store_id(self, job_id: Optional[str] = None, cleanup: bool = False,
                                basename: Optional[str] = None) -> str:
        """Create an empty file and return its ID."""

    def reserve_file_id(self) -> str:
        """The ID of a file to be written once, later, with :meth:`write_reserved_file_stream`
        (a job's return value). Stores that can name a file before it exists save a write here;
        the default creates an empty file."""
        return self.get_empty_file_store_id()

    def reserve_return_value_id(self, job_id: Optional[str]) -> str:
        """The ID promises of job ``job_id``'s return value refer to (``None``: a job not saved
        yet). The default reserves a file (:meth:`reserve_file_id`); a store may instead name a
        place tied to the job, for :meth:`store_return_value` to fill."""
        return self.reserve_file_id()

    def store_return_value(self, desc: JobDescription, data: bytes) -> None:
        """Store the pickled return value of the job ``desc`` at ``desc.rv_file_id``, as the
        worker's commit does right before its final update (or deletion) of ``desc``.

        The default writes the reserved file. A store whose :meth:`reserve_return_value_id`
        tied the ID to the job may keep a small value in the description instead
        (``desc.inline_rv``): the commit's update of ``desc`` then stores value and finish in one
        write, and deleting the job must keep the value where ``read_file_stream`` of the ID
        finds it."""
        fast = getattr(self, "write_reserved_file_bytes", None)  # one write where the store can
        if fast is not None:
            fast(str(desc.rv_file_id), data)
            return
        with self.write_reserved_file_stream(str(desc.rv_file_id)) as stream:
            stream.write(data)

    def write_reserved_file_stream(self, file_id: str) -> Any:
        """Context manager yielding a binary handle whose content atomically becomes the reserved
        file ``file_id`` (created, or replaced if written before) on clean exit."""
        return self.update_file_stream(file_id)

    @abstractmethod
    def read_file(self, file_id: str, local_path: str, symlink: bool = False) -> None:
        """Copy (or, if ``symlink``, link) a stored file to ``local_path``."""

    @abstractmethod
    def read_file_stream(self, file_id: str, encoding: Optional[str] = None,
                         errors: Optional[str] = None) -> Any:
        """Context manager yielding a readable handle on a stored file."""

    @abstractmethod
    def delete_file(self, file_id: str) -> None:
        """Delete a stored file. Idempotent."""

    @abstractmethod
    def file_exists(self, file_id: str) -> bool:
        """True if the file is stored."""

    @abstractmethod
    def get_file_size(self, file_id: str) -> int:
        """Size in bytes of a stored file, 0 if it does not exist."""

    @abstractmethod
    def update_file(self, file_id: str, local_path: str) -> None:
        """Atomically replace a stored file with a local file. :raises NoSuchFileException:"""

    @abstractmethod
    def update_file_stream(self, file_id: str, encoding: Optional[str] = None,
                           errors: Optional[str] = None) -> Any:
        """Context manager yielding a handle whose content replaces the file on clean exit."""

    @abstractmethod
    def get_public_url(self, file_id: str) -> str:
        """A URL from which the file can be read. :raises NoSuchFileException:"""

    @abstractmethod
    def get_shared_public_url(self, shared_file_name: str) -> str:
        """A URL from which the shared file can be read. :raises NoSuchFileException:"""

    # ---------------------------------------------------------------------- shared files
    @classmethod
    def _check_shared_name(cls, shared_file_name: str) -> None:
        if not isinstance(shared_file_name, str) or not cls.sharedFileNameRegex.match(shared_file_name):
            raise ValueError(f"Not a valid shared file name: '{shared_file_name}'")

    @abstractmethod
    def write_shared_file_stream(self, shared_file_name: str, encrypted: Optional[bool] = None,
                                 encoding: Optional[str] = None, errors: Optional[str] = None) -> Any:
        """Context manager yielding a handle that atomically (re)writes a named shared file."""

    @abstractmethod
    def read_shared_file_stream(self, shared_file_name: str, encoding: Optional[str] = None,
                                errors: Optional[str] = None) -> Any:
        """Context manager yielding a readable handle on a shared file. :raises NoSuchFileException:"""

    # ---------------------------------------------------------------------- logs and stats
    @abstractmethod
    def write_logs(self, msg: Union[bytes, str]) -> None:
        """Store one stats/logging blob for the leader."""

    @abstractmethod
    def read_logs(self, callback: Callable[[IO[bytes]], Any], read_all: bool = False) -> int:
        """Call ``callback`` with a readable binary handle on every unread blob (every blob if
        ``read_all``), mark them read, and return how many were passed."""

    # ---------------------------------------------------------------------- leader files
    def write_leader_pid(self) -> None:
        """Record the current process's pid as the leader's (shared file ``pid.log``)."""
        with self.write_shared_file_stream(LEADER_PID_FILE) as handle:
            handle.write(str(os.getpid()).encode("utf-8"))

    def read_leader_pid(self) -> int:
        """The recorded leader pid. :raises NoSuchFileException: if none was recorded."""
        with self.read_shared_file_stream(LEADER_PID_FILE) as handle:
            return int(handle.read())

    def write_leader_node_id(self) -> None:
        """Record :func:`get_node_id` of this machine as the leader's node."""
        with self.write_shared_file_stream(LEADER_NODE_ID_FILE) as handle:
            handle.write(get_node_id().encode("utf-8"))

    def read_leader_node_id(self) -> str:
        """The recorded leader node ID. :raises NoSuchFileException: if none was recorded."""
        with self.read_shared_file_stream(LEADER_NODE_ID_FILE) as handle:
            return handle.read().decode("utf-8").strip()

    def write_kill_flag(self, kill: bool = False) -> None:
        """Write the kill flag: ``NO`` when the leader starts, ``YES`` from ``toil kill``."""
        with self.write_shared_file_stream(KILL_FLAG_FILE) as handle:
            handle.write(b"YES" if kill else b"NO")

    def read_kill_flag(self) -> bool:
        """True if ``toil kill`` asked the leader to stop (False if the flag is missing)."""
        try:
            with self.read_shared_file_stream(KILL_FLAG_FILE) as handle:
                return handle.read().strip() == b"YES"
        except NoSuchFileException:
            return False

    # ---------------------------------------------------------------------- import / export
    def import_file(self, src_uri: str, shared_file_name: Optional[str] = None,
                    hardlink: bool = False, symlink: bool = False) -> Optional[FileID]:
        """Import the file at ``src_uri``; return its FileID, or None if stored as the shared
        file ``shared_file_name``. The executable bit of a local file is preserved."""
        handler = get_url_access_for(src_uri, export=False)
        if shared_file_name is not None:
            self._check_shared_name(shared_file_name)
        return self._import_file(handler, src_uri, shared_file_name, hardlink, symlink)

    def _import_file(self, handler: Any, src_uri: str, shared_file_name: Optional[str],
                     hardlink: bool, symlink: bool) -> Optional[FileID]:
        """Generic import through a stream; stores may override with faster paths."""
        if shared_file_name is not None:
            with self.write_shared_file_stream(shared_file_name) as handle:
                handler.read_from_url(src_uri, handle)
            return None
        with self.write_file_stream(basename=_url_basename(src_uri)) as (handle, file_id):
            size, executable = handler.read_from_url(src_uri, handle)
        return FileID(file_id, size, executable)

    def export_file(self, file_id: str, dst_uri: str) -> None:
        """Export a stored file to ``dst_uri`` (executable iff it was imported executable)."""
        handler = get_url_access_for(dst_uri, export=True)
        self._export_file(handler, file_id, dst_uri)

    def _export_file(self, handler: Any, file_id: str, dst_uri: str) -> None:
        executable = bool(getattr(file_id, "executable", False))
        with self.read_file_stream(file_id) as handle:
            handler.write_to_url(handle, dst_uri, executable=executable)

    # URL queries (classmethods delegating to the URL access handlers)
    @classmethod
    def list_url(cls, src_uri: str) -> List[str]:
        """Names in the directory at ``src_uri``; directories end in ``/``."""
        return get_url_access_for(src_uri, export=False).list_url(src_uri)

    @classmethod
    def get_is_directory(cls, src_uri: str) -> bool:
        """True if ``src_uri`` names a directory."""
        return get_url_access_for(src_uri, export=False).get_is_directory(src_uri)

    @classmethod
    def read_from_url(cls, src_uri: str, writable: IO[bytes]) -> Tuple[int, bool]:
        """Copy ``src_uri`` into ``writable``; return ``(size, executable)``."""
        return get_url_access_for(src_uri, export=False).read_from_url(src_uri, writable)

    @classmethod
    def open_url(cls, src_uri: str) -> IO[bytes]:
        """A readable binary stream on ``src_uri`` (close it when done)."""
        return get_url_access_for(src_uri, export=False).open_url(src_uri)

    @classmethod
    def get_size(cls, src_uri: str) -> Optional[int]:
        """Size in bytes of the object at ``src_uri``, or None if unknown."""
        return get_url_access_for(src_uri, export=False).get_size(src_uri)
