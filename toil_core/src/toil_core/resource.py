"""Auto-deployment of the user's workflow script to workers.

The leader records which module holds the workflow (the ``__main__`` script, or the module run
with ``python -m pkg.mod``) and, unless ``--disableAutoDeployment`` is given, zips the script's
directory (its ``.py`` files, or the whole package tree) into the job store. A worker imports the
module from its original directory when that directory holds the same file, and otherwise from
the copy unpacked out of the job store. Inside workers the module also answers to ``__main__``,
so functions and classes pickled by the leader as ``__main__.name`` resolve.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import importlib
import io
import json
import logging
import os
import pickle
import shutil
import sys
import tempfile
import zipfile
from collections import namedtuple
from typing import Any, Callable, Dict, List, NoReturn, Optional, Sequence, Tuple, Type, Union

import attrs

from toil_core.lib.errors import ToilError

logger = logging.getLogger(__name__)

USER_SCRIPT_FILE = "userScript"
_SKIP_DIRS = {"__pycache__", ".git", ".venv", "venv", "node_modules", ".tox", ".mypy_cache", ".pytest_cache"}


def _url_scheme(url: str) -> str:
    """The scheme of a resource's URL (``file`` for a bare path), as URL access plugins are named."""
    head, sep, _ = url.partition(":")
    return head.lower() if sep and head and "/" not in head else "file"


class ResourceException(ToilError):
    """The user module cannot be described, saved or loaded."""


class InvalidUserScriptName(ResourceException):
    """The workflow script's file name does not let workers import it."""


@attrs.frozen
class ModuleDescriptor:
    """Where a user module lives: ``dirPath`` is the sys.path entry that makes ``name`` importable."""

    dirPath: str
    name: str
    fromVirtualEnv: bool = False

    @classmethod
    def forModule(cls, name: str) -> "ModuleDescriptor":
        module = sys.modules[name]
        file_name = getattr(module, "__file__", None)
        if not file_name:
            raise ResourceException(f"Module {name!r} has no file; it cannot be deployed to workers.")
        file_path = os.path.abspath(file_name)
        spec = getattr(module, "__spec__", None)
        module_name = name
        if name == "__main__":
            if spec is not None and spec.name and spec.name != "__main__":
                module_name = spec.name  # started with python -m pkg.mod
            else:
                base = os.path.basename(file_path)
                stem, ext = os.path.splitext(base)
                if ext not in (".py", ".pyc") or "." in stem:
                    raise InvalidUserScriptName(
                        f"The workflow script {file_path!r} must end in .py and have no other '.' in "
                        "its name, so workers can import it."
                    )
                module_name = stem
        depth = module_name.count(".")
        directory = os.path.dirname(file_path)
        if os.path.basename(file_path).startswith("__init__."):
            depth += 1
        for _ in range(depth):
            directory = os.path.dirname(directory)
        return cls(dirPath=directory, name=module_name)

    def belongsToToil(self) -> bool:
        top = self.name.split(".")[0]
        return top in ("toil", "toil_core")

    @property
    def _is_package(self) -> bool:
        return "." in self.name

    def source_files(self) -> List[Tuple[str, str]]:
        """(absolute path, archive name) of the files to deploy."""
        files: List[Tuple[str, str]] = []
        if self._is_package:
            top = os.path.join(self.dirPath, self.name.split(".")[0])
            for root, dirs, names in os.walk(top):
                dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
                for file_name in names:
                    if file_name.endswith(".py"):
                        path = os.path.join(root, file_name)
                        files.append((path, os.path.relpath(path, self.dirPath)))
        else:
            for file_name in sorted(os.listdir(self.dirPath)):
                path = os.path.join(self.dirPath, file_name)
                if file_name.endswith(".py") and os.path.isfile(path):
                    files.append((path, file_name))
        return files

    def module_file(self, root: Optional[str] = None) -> str:
        base = root or self.dirPath
        parts = self.name.split(".")
        candidate = os.path.join(base, *parts) + ".py"
        if os.path.exists(candidate):
            return candidate
        return os.path.join(base, *parts, "__init__.py")


    # ------------------------------------------------------------------ upstream API
    def saveAsResourceTo(self, jobStore: Any) -> "Resource":
        """Save the module's directory (or package tree) in ``jobStore`` as a :class:`Resource`."""
        return self._resourceClass().create(jobStore, self._resourcePath)

    def _resourceClass(self) -> Type["Resource"]:
        if self.fromVirtualEnv:
            return VirtualEnvResource
        if self._is_package or os.path.isdir(self._resourcePath):
            return DirectoryResource
        return FileResource

    @property
    def _resourcePath(self) -> str:
        if self.fromVirtualEnv:
            return self.dirPath
        if self._is_package:
            return os.path.join(self.dirPath, self.name.split(".")[0])
        return self.module_file()

    def localize(self) -> "ModuleDescriptor":
        """On a worker: a descriptor of the local copy of a registered resource, else ``self``."""
        resource = Resource.lookup(self._resourcePath)
        if resource is None:
            return self
        if self._is_package or self.fromVirtualEnv:
            return ModuleDescriptor(resource.localDirPath if self._is_package else resource.localPath,
                                    self.name, self.fromVirtualEnv)
        return ModuleDescriptor(os.path.dirname(resource.localPath), self.name, self.fromVirtualEnv)

    def globalize(self) -> "ModuleDescriptor":
        """The descriptor of the module as it is on the leader (descriptors here are never local)."""
        return self

    def toCommand(self) -> Tuple[str, str, str, str]:
        return ("--" + type(self).__name__, self.dirPath, self.name, str(self.fromVirtualEnv))

    @classmethod
    def fromCommand(cls, command: Sequence[str]) -> "ModuleDescriptor":
        if len(command) != 3:
            raise ResourceException(f"Expected a directory, a module name and a flag, got {list(command)!r}.")
        dirPath, name, fromVirtualEnv = command
        return cls(dirPath=dirPath, name=name, fromVirtualEnv=str(fromVirtualEnv).lower() == "true")

    def load(self) -> Optional[Any]:
        """Import the module from ``dirPath``; None if it cannot be found."""
        if self.dirPath not in sys.path:
            sys.path.append(self.dirPath)
        try:
            return importlib.import_module(self.name)
        except ImportError:
            logger.error("Failed to import user module %r from %r", self.name, self.dirPath)
            return None


_checked_main: Dict[int, Optional[InvalidUserScriptName]] = {}


def check_deployable(module_name: Optional[str]) -> None:
    """Fail early if jobs defined in ``module_name`` can never be imported by workers.

    Only the workflow script itself (``__main__``) can be unimportable: a name like
    ``my.workflow.py`` or one without ``.py`` cannot be imported under any module name.
    """
    if module_name != "__main__":
        return
    main = sys.modules.get("__main__")
    key = id(main)
    if key not in _checked_main:
        try:
            ModuleDescriptor.forModule("__main__")
            _checked_main[key] = None
        except InvalidUserScriptName as error:
            _checked_main[key] = error
        except (ResourceException, KeyError):  # interactive sessions: nothing to deploy
            _checked_main[key] = None
    problem = _checked_main[key]
    if problem is not None:
        raise InvalidUserScriptName(str(problem))


def save_user_module(job_store: Any, descriptor: ModuleDescriptor, deploy: bool) -> None:
    """Record the user module in the job store, with a zip of its sources when deploying.

    A restarted leader records it again: an unchanged zip is reused, a replaced one deleted
    (once the new record is in place), so restarts leave no stale copies behind.
    """
    record: Dict[str, Any] = {"dirPath": descriptor.dirPath, "name": descriptor.name}
    previous = read_user_module_record(job_store) or {}
    if deploy and not descriptor.belongsToToil():
        buffer = io.BytesIO()
        digest = hashlib.sha256()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, arcname in descriptor.source_files():
                with open(path, "rb") as handle:
                    data = handle.read()
                digest.update(arcname.encode() + b"\0" + data)
                archive.writestr(arcname, data)
        record["hash"] = digest.hexdigest()
        if previous.get("zip") and previous.get("hash") == record["hash"] and job_store.file_exists(previous["zip"]):
            record["zip"] = previous["zip"]
        else:
            with job_store.write_file_stream() as (stream, file_id):
                stream.write(buffer.getvalue())
            record["zip"] = file_id
        record["main_hash"] = _file_hash(descriptor.module_file())
    with job_store.write_shared_file_stream(USER_SCRIPT_FILE) as stream:
        stream.write(json.dumps(record).encode())
    if previous.get("zip") and previous["zip"] != record.get("zip"):
        job_store.delete_file(previous["zip"])


def _file_hash(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def read_user_module_record(job_store: Any) -> Optional[Dict[str, Any]]:
    try:
        with job_store.read_shared_file_stream(USER_SCRIPT_FILE) as stream:
            return json.loads(stream.read())
    except Exception:  # no user module recorded (e.g. jobs from installed modules only)
        return None


def localize(job_store: Any, record: Dict[str, Any], scratch_dir: str, force_deployed: bool = False) -> str:
    """The directory to import the user module from, unpacking the deployed copy if needed.

    The original directory is used while it still holds the script the leader saw; otherwise (or
    with ``force_deployed``) the copy saved in the job store is unpacked under ``scratch_dir``.
    """
    descriptor = ModuleDescriptor(record["dirPath"], record["name"])
    original = descriptor.module_file()
    if "zip" not in record:
        return descriptor.dirPath
    if not force_deployed and _file_hash(original) == record.get("main_hash"):
        return descriptor.dirPath
    target = os.path.join(scratch_dir, f"deployed-{record['hash'][:16]}")
    if not os.path.isdir(target):
        os.makedirs(scratch_dir, exist_ok=True)
        staging = f"{target}.{os.getpid()}.tmp"
        with job_store.read_file_stream(record["zip"]) as stream:
            data = stream.read()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(staging)
        try:
            os.rename(staging, target)
        except OSError:  # another worker won the race

            shutil.rmtree(staging, ignore_errors=True)
    logger.debug("Using deployed copy of %s from %s", descriptor.name, target)
    return target


_loaded: Dict[Union[str, int], Any] = {}  # by record (JSON) and by id() of the job store

#: The user module being imported by a worker right now (see :func:`check_not_importing`).
importing_user_module: Optional[str] = None


_GUARD_ADVICE = ("Workers import the script to find its job functions, so put the code that starts the "
                 "workflow under `if __name__ == \"__main__\":`.")


class UnguardedScriptError(ToilError, RuntimeError):
    """The workflow script runs its workflow code when a worker imports it (no ``__main__``
    guard). Retrying cannot help, so the job is not retried (``toil_retry``)."""

    toil_retry = False


def check_not_importing() -> None:
    """Refuse to start a workflow from the top level of a script a worker is importing.

    Without this, a script lacking the ``if __name__ == "__main__":`` guard would start a new
    workflow in every worker that imports it, and so on without end.
    """
    if importing_user_module is not None:
        raise UnguardedScriptError(
            f"The workflow script {importing_user_module!r} starts a workflow when it is imported. "
            + _GUARD_ADVICE)


def load_user_module(job_store: Any, scratch_dir: str) -> Optional[Any]:
    """Import the workflow's user module in this process and alias it as ``__main__``.

    A process that already imported it (a fork of the warm fork server) only checks that the
    original script is still there; if it vanished or changed since, later imports switch to the
    copy deployed in the job store.
    """
    cached = _loaded.get(id(job_store))
    if cached is not None:
        _recheck_origin(job_store, scratch_dir)
        return cached
    record = read_user_module_record(job_store)
    if record is None:
        return None
    key = json.dumps(record, sort_keys=True)
    if key in _loaded:
        _loaded[id(job_store)] = _loaded[key]
        _origin[id(job_store)] = _origin[key]
        _recheck_origin(job_store, scratch_dir)
        return _loaded[key]
    directory = localize(job_store, record, scratch_dir)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    global importing_user_module
    importing_user_module = record["name"]
    advice = (f"The workflow script {record['name']!r} runs its workflow code, such as parsing the command "
              f"line, when a worker imports it. " + _GUARD_ADVICE)

    def refuse(parser: Any, message: str) -> NoReturn:
        # argparse's usage text (for the worker's command line) would only hide the real problem.
        raise UnguardedScriptError(advice)

    saved_error = argparse.ArgumentParser.error
    argparse.ArgumentParser.error = refuse  # type: ignore[assignment]
    try:
        module = importlib.import_module(record["name"])
    except SystemExit as stop:
        raise UnguardedScriptError(f"{advice} (It exited with status {stop.code}.)") from None
    finally:
        argparse.ArgumentParser.error = saved_error  # type: ignore[method-assign]
        importing_user_module = None
    sys.modules["__main__"] = module
    _loaded[key] = module
    _loaded[id(job_store)] = module
    state = _OriginState(record, directory, _stat_signature(_original_main(record)))
    _origin[key] = state
    _origin[id(job_store)] = state
    return module


@attrs.define
class _OriginState:
    """Where this process imported the user module from, and what the original script looked like."""

    record: Dict[str, Any]
    directory: str
    signature: Optional[Tuple[int, int, int]]
    #: The original script's path (found once; every job stats it).
    original: Optional[str] = None


#: Per job store (and per record): see :class:`_OriginState`.
_origin: Dict[Any, _OriginState] = {}


def _original_main(record: Dict[str, Any]) -> str:
    return ModuleDescriptor(record["dirPath"], record["name"]).module_file()


def _stat_signature(path: str) -> Optional[Tuple[int, int, int]]:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns


def _recheck_origin(job_store: Any, scratch_dir: str) -> None:
    """Switch imports to the deployed copy if the original script vanished or changed."""
    state = _origin.get(id(job_store))
    if state is None or "zip" not in state.record or state.directory != state.record["dirPath"]:
        return
    original = state.original
    if original is None:
        original = state.original = _original_main(state.record)
    signature = _stat_signature(original)
    if signature is not None and signature == state.signature:
        return  # one stat per job in the common case
    if signature is not None and _file_hash(original) == state.record.get("main_hash"):
        state.signature = signature
        return
    deployed = localize(job_store, state.record, scratch_dir, force_deployed=True)
    _redirect_imports(state.directory, deployed)
    logger.debug("The original of %s changed or vanished; importing from %s", state.record["name"], deployed)
    state.directory = deployed


def _redirect_imports(original_root: str, deployed_root: str) -> None:
    """Make later imports of the user's modules find them under ``deployed_root``."""
    if deployed_root in sys.path:
        sys.path.remove(deployed_root)
    sys.path.insert(0, deployed_root)
    prefix = original_root.rstrip(os.sep) + os.sep
    # Already imported packages look up their submodules in __path__, not sys.path.
    for module in list(sys.modules.values()):
        paths = getattr(module, "__path__", None)
        if not isinstance(paths, list):
            continue
        for entry in list(paths):
            if isinstance(entry, str) and entry.startswith(prefix):
                moved = os.path.join(deployed_root, entry[len(prefix):])
                if moved not in paths:
                    paths.insert(0, moved)


# ---------------------------------------------------------------------- upstream Resource API
class Resource(namedtuple("Resource", ("name", "pathHash", "url", "contentHash"))):
    """A file or directory of the leader saved in a job store for workers to download.

    ``name`` is the file or directory name, ``pathHash`` the MD5 of its path on the leader,
    ``url`` where the job store keeps it and ``contentHash`` the MD5 of the saved bytes. Workers
    find registered resources through environment variables named ``JTRES_<pathHash>``.
    """

    resourceEnvNamePrefix = "JTRES_"
    rootDirPathEnvName = resourceEnvNamePrefix + "ROOT"

    @classmethod
    def create(cls, jobStore: Any, leaderPath: str) -> "Resource":
        """Save the file or directory at ``leaderPath`` to ``jobStore``."""
        pathHash = cls._pathHash(leaderPath)
        data = cls._load(leaderPath)
        contentHash = hashlib.md5(data).hexdigest()
        with jobStore.write_shared_file_stream(pathHash, encrypted=False) as stream:
            stream.write(data)
        return cls(name=os.path.basename(leaderPath), pathHash=pathHash,
                   url=jobStore.get_shared_public_url(pathHash), contentHash=contentHash)

    def refresh(self, jobStore: Any) -> "Resource":
        return type(self)(name=self.name, pathHash=self.pathHash,
                          url=jobStore.get_shared_public_url(self.pathHash), contentHash=self.contentHash)

    @classmethod
    def prepareSystem(cls) -> None:
        """On a worker, before any resource is downloaded: make the download root."""
        if cls.rootDirPathEnvName not in os.environ:
            os.environ[cls.rootDirPathEnvName] = tempfile.mkdtemp(prefix="toil-resources-")

    @classmethod
    def cleanSystem(cls) -> None:
        root = os.environ.pop(cls.rootDirPathEnvName, None)
        if root:
            shutil.rmtree(root, ignore_errors=True)
        for name in [n for n in os.environ if n.startswith(cls.resourceEnvNamePrefix)]:
            del os.environ[name]

    def register(self) -> None:
        """Make this resource findable with :meth:`lookup` here and in child processes."""
        os.environ[self.resourceEnvNamePrefix + self.pathHash] = self.pickle()

    @classmethod
    def lookup(cls, leaderPath: str) -> Optional["Resource"]:
        value = os.environ.get(cls.resourceEnvNamePrefix + cls._pathHash(leaderPath))
        return None if value is None else cls.unpickle(value)

    def download(self, callback: Optional[Callable[["Resource"], None]] = None) -> None:
        """Fetch the resource into :attr:`localDirPath` (once); then call ``callback(self)``."""
        dir_path = self.localDirPath
        if not os.path.exists(dir_path):
            # lazy: workers import this module; the plugin registry is slow to import
            from toil_core.plugins.registry import get_url_access

            buffer = io.BytesIO()
            get_url_access(_url_scheme(self.url)).read_from_url(self.url, buffer)
            data = buffer.getvalue()
            if hashlib.md5(data).hexdigest() != self.contentHash:
                raise ResourceException(f"The downloaded resource {self.name!r} is corrupt.")
            staging = tempfile.mkdtemp(dir=os.path.dirname(dir_path))
            try:
                self._save(data, staging)
                os.rename(staging, dir_path)
            except OSError:
                shutil.rmtree(staging, ignore_errors=True)
                if not os.path.exists(dir_path):
                    raise
        if callback is not None:
            callback(self)

    @property
    def localPath(self) -> str:
        raise NotImplementedError

    @property
    def localDirPath(self) -> str:
        root = os.environ.get(self.rootDirPathEnvName)
        if root is None:
            raise ResourceException("Call Resource.prepareSystem() before using resources on a worker.")
        return os.path.join(root, self.contentHash)

    def pickle(self) -> str:
        return type(self).__name__ + ":" + base64.b64encode(pickle.dumps(tuple(self))).decode("ascii")

    @classmethod
    def unpickle(cls, s: str) -> "Resource":
        kind, _, payload = s.partition(":")
        subclass = {c.__name__: c for c in (Resource, FileResource, DirectoryResource, VirtualEnvResource)}[kind]
        return subclass(*pickle.loads(base64.b64decode(payload)))

    @staticmethod
    def _pathHash(path: str) -> str:
        return hashlib.md5(os.path.abspath(path).encode("utf-8")).hexdigest()

    @classmethod
    def _load(cls, path: str) -> bytes:
        raise NotImplementedError

    def _save(self, data: bytes, dir_path: str) -> None:
        raise NotImplementedError


class FileResource(Resource):
    """A single file of the leader."""

    @classmethod
    def _load(cls, path: str) -> bytes:
        with open(path, "rb") as handle:
            return handle.read()

    def _save(self, data: bytes, dir_path: str) -> None:
        with open(os.path.join(dir_path, self.name), "wb") as handle:
            handle.write(data)

    @property
    def localPath(self) -> str:
        return os.path.join(self.localDirPath, self.name)


class DirectoryResource(Resource):
    """A directory of the leader, saved as a ZIP archive; unpacked it is ``localPath``."""

    @classmethod
    def _accept(cls, path: str) -> bool:
        return not path.endswith(".pyc")

    @classmethod
    def _load(cls, path: str) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
                for file_name in sorted(files):
                    full = os.path.join(root, file_name)
                    if cls._accept(full):
                        archive.write(full, os.path.relpath(full, path))
        return buffer.getvalue()

    def _save(self, data: bytes, dir_path: str) -> None:
        target = os.path.join(dir_path, self.name)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(target)

    @property
    def localPath(self) -> str:
        return os.path.join(self.localDirPath, self.name)


class VirtualEnvResource(DirectoryResource):
    """The site-packages directory of the leader's virtualenv; only pure-Python files are kept."""

    @classmethod
    def _accept(cls, path: str) -> bool:
        return path.endswith(".py")
