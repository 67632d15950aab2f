"""WDL values as they travel between Toil jobs, and the standard library's file access.

* Values are miniwdl :class:`WDL.Value.Base` objects. Between jobs an environment travels as a
  :data:`Frag`, a plain list of ``(name, value)`` pairs whose values are detached from the syntax
  tree (:func:`detach`), so that pickled job bodies stay small and do not drag the document along.
* A ``File`` value that lives in the job store is the string
  ``toilfile:<packed FileID>/<origin key>/<relative path>`` (:func:`file_uri`): the last segment keeps
  the file's name, so ``basename()`` gives the right answer anywhere, the packed FileID
  (percent-encoded, no ``/``) finds it in the job store, and the origin key and relative path put
  values from one folder back side by side in a task. A ``Directory`` value is the same with
  ``toildir:``; its job store file is a tar archive of the directory's contents.
* :class:`ToilStdLib` is miniwdl's standard library with file access through the file store:
  ``read_*()`` and ``size()`` download ``toilfile:`` values, ``write_*()`` uploads in workflow
  sections (and leaves a local path inside a task, whose outputs are uploaded at its end).
"""
from __future__ import annotations

import copy
import os
import shutil
import tempfile
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import WDL
from WDL import Env, Value

from toil_core.plugin_api import FileID

__all__ = [
    "DIR_SCHEME", "FILE_SCHEME", "Frag", "ToilStdLib", "WDLRunnerError", "bindings", "detach", "file_uri",
    "frag", "is_stored", "is_url", "merge", "pack_directory", "parse_file_uri", "parse_uri", "read_directory",
    "unpack_directory",
]

FILE_SCHEME = "toilfile:"
DIR_SCHEME = "toildir:"

#: An environment fragment: ``(name, value)`` pairs (names may be dotted: ``call.output``).
Frag = List[Tuple[str, Value.Base]]


class WDLRunnerError(Exception):
    """A WDL workflow cannot run as given (bad document, inputs, task failure): reported in one line."""


def file_uri(file_id: FileID, name: str, origin: Optional[str] = None, rel: Optional[str] = None,
             directory: bool = False) -> str:
    """The ``toilfile:`` (``toildir:`` with ``directory``) URI of a job store file called ``name``:
    ``toilfile:<packed FileID>/<origin key>/<relative path>``.

    ``origin`` (the folder the value came from: a task's working directory, an input's folder)
    becomes a short key and ``rel`` (default: the basename) the value's path below it, so that values
    from one folder are put back side by side, files inside directories included, when a task
    localizes them. Without ``origin`` the key is ``-``. A Directory's job store file is a tar
    archive of its contents."""
    key = "-"
    if origin:
        import hashlib

        key = hashlib.sha1(origin.encode("utf-8")).hexdigest()[:12]
    rel = (rel or os.path.basename(name.rstrip("/"))).strip("/")
    scheme = DIR_SCHEME if directory else FILE_SCHEME
    return scheme + urllib.parse.quote(file_id.pack(), safe="") + "/" + key + "/" + rel


def is_stored(text: str) -> bool:
    """Whether ``text`` is a ``toilfile:`` or ``toildir:`` URI."""
    return text.startswith(FILE_SCHEME) or text.startswith(DIR_SCHEME)


def parse_uri(uri: str) -> Tuple[FileID, str, str, bool]:
    """``(file_id, origin key, relative path, is a directory)`` of a ``toilfile:``/``toildir:`` URI."""
    directory = uri.startswith(DIR_SCHEME)
    body = uri[len(DIR_SCHEME if directory else FILE_SCHEME):]
    packed, _, rest = body.partition("/")
    key, _, rel = rest.partition("/")
    return FileID.unpack(urllib.parse.unquote(packed)), key, rel, directory


def parse_file_uri(uri: str, with_origin: bool = False) -> Any:
    """``(file_id, basename)`` of a stored URI (``(file_id, basename, origin key)`` with ``with_origin``)."""
    file_id, key, rel, _ = parse_uri(uri)
    name = rel.rsplit("/", 1)[-1]
    return (file_id, name, key) if with_origin else (file_id, name)


def pack_directory(path: str, scratch: str) -> str:
    """A tar archive (in ``scratch``) of the contents of the directory ``path``, symlinks followed."""
    import tarfile

    os.makedirs(scratch, exist_ok=True)
    fd, archive = tempfile.mkstemp(suffix=".tar", dir=scratch)
    os.close(fd)
    with tarfile.open(archive, "w", dereference=True) as tar:
        for entry in sorted(os.listdir(path)):
            tar.add(os.path.join(path, entry), arcname=entry)
    return archive


def unpack_directory(archive: str, target: str) -> str:
    """Extract a :func:`pack_directory` archive into ``target`` (created); returns ``target``."""
    import tarfile

    os.makedirs(target, exist_ok=True)
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if not (m.name.startswith("/") or ".." in m.name.split("/"))]
        tar.extractall(target, members=members)  # noqa: S202 - checked above
    return target


def read_directory(file_store: Any, uri: str, target: str) -> str:
    """Materialize the ``toildir:`` value ``uri`` at ``target`` (a new or existing folder)."""
    file_id, _, _, _ = parse_uri(uri)
    scratch = tempfile.mkdtemp(dir=os.path.dirname(target.rstrip("/")) or None)
    try:
        archive = file_store.readGlobalFile(file_id, userPath=os.path.join(scratch, "dir.tar"))
        return unpack_directory(archive, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def is_url(text: str) -> bool:
    return "://" in text[:16] and not is_stored(text)


def detach(value: Value.Base) -> Value.Base:
    """A copy of ``value`` that references no syntax tree (picklable, small)."""
    out = copy.copy(value)
    out._expr = None
    inner = value.value
    if isinstance(inner, list):
        out.value = [(detach(e[0]), detach(e[1])) if isinstance(e, tuple) else detach(e) for e in inner]
    elif isinstance(inner, tuple):
        out.value = (detach(inner[0]), detach(inner[1]))
    elif isinstance(inner, dict):
        out.value = {k: detach(v) for k, v in inner.items()}
    return out


def frag(env: Env.Bindings[Value.Base]) -> Frag:
    """An environment as a fragment."""
    return [(b.name, detach(b.value)) for b in env]


def bindings(*frags: Optional[Iterable[Tuple[str, Value.Base]]]) -> Env.Bindings[Value.Base]:
    """Fragments merged into one environment; later fragments win."""
    env: Env.Bindings[Value.Base] = Env.Bindings()
    seen: Dict[str, Value.Base] = {}
    for f in frags:
        for name, value in f or ():
            seen[name] = value
    for name, value in seen.items():
        env = env.bind(name, value)
    return env


def merge(*frags: Optional[Iterable[Tuple[str, Value.Base]]]) -> Frag:
    """Fragments concatenated, later names replacing earlier ones."""
    seen: Dict[str, Value.Base] = {}
    for f in frags:
        for name, value in f or ():
            seen[name] = value
    return list(seen.items())


def download_url(url: str, directory: str) -> str:
    """Fetch an http(s)/file URL into ``directory``; returns the local path."""
    if url.startswith("file://"):
        return urllib.parse.unquote(urllib.parse.urlparse(url).path)
    name = os.path.basename(urllib.parse.urlparse(url).path) or "download"
    target = os.path.join(tempfile.mkdtemp(dir=directory), name)
    with urllib.request.urlopen(url, timeout=300) as resp, open(target, "wb") as out:  # noqa: S310
        shutil.copyfileobj(resp, out)
    return target


class ToilStdLib(WDL.StdLib.Base):
    """The WDL standard library reading and writing files through a Toil file store.

    ``base_dir`` resolves relative paths (the WDL document's folder in workflow sections, the
    task's working directory inside tasks). With ``upload`` (workflow sections) files written by
    ``write_*()`` go to the job store at once; inside a task they stay local until its outputs are
    collected.
    """

    def __init__(self, wdl_version: str, file_store: Any, write_dir: str, base_dir: str,
                 upload: bool, cache: Optional[Dict[str, str]] = None) -> None:
        super().__init__(wdl_version, write_dir=write_dir)
        self._file_store = file_store
        self._base_dir = base_dir
        self._upload = upload
        self._cache: Dict[str, str] = {} if cache is None else cache

    def _local_path(self, filename: str) -> str:
        """A local path for a File value (downloading from the job store or a URL as needed)."""
        if filename in self._cache:
            return self._cache[filename]
        if filename.startswith(DIR_SCHEME):
            _, _, rel, _ = parse_uri(filename)
            target = os.path.join(tempfile.mkdtemp(dir=self._write_dir_ready()), os.path.basename(rel))
            path = read_directory(self._file_store, filename, target)
        elif filename.startswith(FILE_SCHEME):
            file_id, name = parse_file_uri(filename)
            target = os.path.join(tempfile.mkdtemp(dir=self._write_dir_ready()), name)
            path = self._file_store.readGlobalFile(file_id, userPath=target)
        elif is_url(filename):
            path = download_url(filename, self._write_dir_ready())
        else:
            path = filename if os.path.isabs(filename) else os.path.join(self._base_dir, filename)
        self._cache[filename] = path
        return path

    def _write_dir_ready(self) -> str:
        os.makedirs(self._write_dir, exist_ok=True)
        return self._write_dir

    def _devirtualize_filename(self, filename: str) -> str:
        path = self._local_path(filename.rstrip("/") if filename.endswith("/") else filename)
        if not os.path.exists(path):
            raise WDLRunnerError(f"file not found: {filename}")
        return path

    def _resolve_source_relative_path(self, filename: str) -> str:
        return filename

    def _virtualize_filename(self, filename: str) -> str:
        if self._upload:
            uri = file_uri(self._file_store.writeGlobalFile(filename), filename,
                           origin=os.path.dirname(os.path.abspath(filename)))
            self._cache[uri] = filename
            return uri
        return filename

    def _join_paths_default_directory(self) -> str:
        return self._base_dir


def output_stdlib(stdlib: ToilStdLib, task_dir: str, work_dir: str) -> ToilStdLib:
    """``stdlib`` plus the functions of task output sections: ``stdout()``, ``stderr()``, ``glob()``."""
    import glob as globbing

    from WDL import StdLib, Type

    def _glob(pattern: Value.String) -> Value.Array:
        pat = pattern.value
        if not pat or pat.startswith("/") or ".." in pat.split("/"):
            raise WDLRunnerError(f"glob() pattern must be relative to the working directory: {pat!r}")
        found = sorted(f for f in globbing.glob(os.path.join(work_dir, pat)) if os.path.isfile(f))
        return Value.Array(Type.File(), [Value.File(f) for f in found])

    stdlib.stdout = StdLib.StaticFunction("stdout", [], Type.File(),
                                          lambda: Value.File(os.path.join(task_dir, "stdout.txt")))
    stdlib.stderr = StdLib.StaticFunction("stderr", [], Type.File(),
                                          lambda: Value.File(os.path.join(task_dir, "stderr.txt")))
    stdlib.glob = StdLib.StaticFunction("glob", [Type.String()], Type.Array(Type.File()), _glob)
    return stdlib


def map_files(value: Value.Base, fn: Callable[[Value.Base], Optional[str]]) -> Value.Base:
    """``WDL.Value.rewrite_paths`` (files and directories), detached from the syntax tree."""
    return detach(Value.rewrite_paths(value, fn))
