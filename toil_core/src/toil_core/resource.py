"""Auto-deployment of the user's workflow script to workers.

The leader records which module holds the workflow (the ``__main__`` script, or the module run
with ``python -m pkg.mod``) and, unless ``--disableAutoDeployment`` is given, zips the script's
directory (its ``.py`` files, or the whole package tree) into the job store. A worker imports the
module from its original directory when that directory holds the same file, and otherwise from
the copy unpacked out of the job store. Inside workers the module also answers to ``__main__``,
so functions and classes pickled by the leader as ``__main__.name`` resolve.
"""
from __future__ import annotations

import hashlib
import importlib
import io
import json
import logging
import os
import sys
import zipfile
from typing import Any, Dict, List, Optional, Tuple

import attrs

logger = logging.getLogger(__name__)

USER_SCRIPT_FILE = "userScript"
_SKIP_DIRS = {"__pycache__", ".git", ".venv", "venv", "node_modules", ".tox", ".mypy_cache", ".pytest_cache"}


class ResourceException(Exception):
    """The user module cannot be described, saved or loaded."""


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
                    raise ResourceException(
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


def save_user_module(job_store: Any, descriptor: ModuleDescriptor, deploy: bool) -> None:
    """Record the user module in the job store, with a zip of its sources when deploying."""
    record: Dict[str, Any] = {"dirPath": descriptor.dirPath, "name": descriptor.name}
    if deploy and not descriptor.belongsToToil():
        buffer = io.BytesIO()
        digest = hashlib.sha256()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, arcname in descriptor.source_files():
                with open(path, "rb") as handle:
                    data = handle.read()
                digest.update(arcname.encode() + b"\0" + data)
                archive.writestr(arcname, data)
        with job_store.write_file_stream() as (stream, file_id):
            stream.write(buffer.getvalue())
        record["zip"] = file_id
        record["hash"] = digest.hexdigest()
        record["main_hash"] = _file_hash(descriptor.module_file())
    with job_store.write_shared_file_stream(USER_SCRIPT_FILE) as stream:
        stream.write(json.dumps(record).encode())


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


def localize(job_store: Any, record: Dict[str, Any], scratch_dir: str) -> str:
    """The directory to import the user module from, unpacking the deployed copy if needed."""
    descriptor = ModuleDescriptor(record["dirPath"], record["name"])
    original = descriptor.module_file()
    if "zip" not in record or _file_hash(original) == record.get("main_hash"):
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
            import shutil

            shutil.rmtree(staging, ignore_errors=True)
    logger.debug("Using deployed copy of %s from %s", descriptor.name, target)
    return target


_loaded: Dict[str, Any] = {}

#: The user module being imported by a worker right now (see :func:`check_not_importing`).
importing_user_module: Optional[str] = None


def check_not_importing() -> None:
    """Refuse to start a workflow from the top level of a script a worker is importing.

    Without this, a script lacking the ``if __name__ == "__main__":`` guard would start a new
    workflow in every worker that imports it, and so on without end.
    """
    if importing_user_module is not None:
        raise RuntimeError(
            f"The workflow script {importing_user_module!r} starts a workflow when it is imported. "
            "Workers import the script to find its job functions, so put the code that starts the "
            "workflow under `if __name__ == \"__main__\":`."
        )


def load_user_module(job_store: Any, scratch_dir: str) -> Optional[Any]:
    """Import the workflow's user module in this process and alias it as ``__main__``."""
    cached = _loaded.get(id(job_store))
    if cached is not None:
        return cached
    record = read_user_module_record(job_store)
    if record is None:
        return None
    key = json.dumps(record, sort_keys=True)
    if key in _loaded:
        _loaded[id(job_store)] = _loaded[key]
        return _loaded[key]
    directory = localize(job_store, record, scratch_dir)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    global importing_user_module
    importing_user_module = record["name"]
    try:
        module = importlib.import_module(record["name"])
    finally:
        importing_user_module = None
    sys.modules["__main__"] = module
    _loaded[key] = module
    _loaded[id(job_store)] = module
    return module
