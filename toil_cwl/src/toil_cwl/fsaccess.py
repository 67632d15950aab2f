"""File access inside CWL jobs: cwltool sees ``toilfile:``/``toildir:`` locations through these.

* :class:`Materializer` turns a toil URI into a local path in the job's temporary directory
  (``readGlobalFile``), once per URI and job.
* :class:`ToilFsAccess` is cwltool's ``StdFsAccess`` that also answers for toil URIs (exists,
  size, open, listdir...) without downloading more than it must.
* :class:`ToilPathMapper` is cwltool's ``PathMapper`` that maps toil URIs to their materialized
  local paths, so cwltool stages them into the tool's working directory or container as usual,
  and maps outputs that are unchanged inputs back to their toil URIs.
* :func:`upload_outputs` stores a tool's local output files and directories in the job store
  and rewrites their locations to toil URIs.
"""
from __future__ import annotations

import logging
import os
import stat
import urllib.parse
from typing import IO, TYPE_CHECKING, Any, Dict, List, MutableMapping, Optional, Set, Tuple, Union

from cwltool.errors import WorkflowException
from cwltool.pathmapper import MapperEnt, PathMapper
from cwltool.stdfsaccess import StdFsAccess
from schema_salad.ref_resolver import uri_file_path

from toil_cwl.locations import (
    DIR_SCHEME,
    FILE_SCHEME,
    Tree,
    dir_uri,
    file_uri_for,
    is_toil_uri,
    parse_file_uri,
    resolve_entry,
    split_dir_uri,
)

from toil_cwl.inplace import new_nonce

if TYPE_CHECKING:
    from toil_cwl.inplace import Redirects

logger = logging.getLogger(__name__)

__all__ = ["Materializer", "ToilFsAccess", "ToilPathMapper", "Uploader", "local_path_of", "upload_outputs"]


class Materializer:
    """Downloads toil URIs into ``root`` (a directory of the running job) on demand.

    With ``redirects`` (a run with in-place updates, see :mod:`toil_cwl.inplace`) every URI is
    first brought to its newest content. ``inplace`` is set while a tool with
    ``InplaceUpdateRequirement`` is staged: its writable inputs then get private, writable copies
    (:meth:`writable_path`) whose changes :func:`toil_cwl.inplace.write_back` stores afterwards.
    """

    def __init__(self, file_store: Any, root: str, redirects: Optional["Redirects"] = None) -> None:
        self.file_store = file_store
        self.root = root
        self.redirects = redirects
        self.inplace = False
        self._paths: Dict[str, str] = {}
        self._origins: Dict[str, str] = {}  # local path -> toil URI it holds
        self._snapshots: Dict[str, Tuple[int, int]] = {}  # writable copy -> (size, mtime) as read
        self._writable: Dict[str, str] = {}  # toil URI -> its writable copy
        self._counter = 0
        #: Directories whose path holds no symbolic link (the job's own temporary directory, made
        #: real once): realpath of a plain entry in them is the entry itself.
        self.real_dirs: Set[str] = set()

    def current(self, uri: str) -> str:
        """``uri``, or the URI of its newest content if it was updated in place."""
        return self.redirects.current(uri) if self.redirects is not None else uri

    def resolve(self, uri: str) -> Tuple[str, Optional[Union[str, Tree]]]:
        """:func:`toil_cwl.locations.resolve_entry` of the newest content of ``uri``."""
        kind, node = resolve_entry(self.current(uri))
        if kind == "file" and isinstance(node, str):
            node = self.current(node)
        return kind, node

    def _fresh_dir(self) -> str:
        self._counter += 1
        path = os.path.join(self.root, f"in{self._counter}")
        os.makedirs(path, exist_ok=True)
        return path

    def _read(self, file_uri: str, dest: str, mutable: bool = False) -> str:
        file_uri = self.current(file_uri)
        file_id, _ = parse_file_uri(file_uri)
        path = self.file_store.readGlobalFile(file_id, userPath=dest, cache=True, mutable=mutable,
                                              symlink=not mutable)
        if file_id.executable:
            real = os.path.realpath(path)
            try:
                mode = os.stat(real).st_mode
                if not mode & stat.S_IXUSR:
                    os.chmod(real, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            except OSError:
                pass
        if mutable:
            self._snapshots[path] = _stamp(path)
        self._origins[path] = file_uri
        return path

    def _materialize_tree(self, tree: Tree, dest: str, uri: str, mutable: bool = False) -> None:
        os.makedirs(dest, exist_ok=True)
        if not mutable:
            self._origins[dest] = uri
        for name, node in tree.items():
            target = os.path.join(dest, name)
            child_uri = uri.rstrip("/") + "/" + urllib.parse.quote(name, safe="")
            if isinstance(node, dict):
                self._materialize_tree(node, target, child_uri, mutable)
            else:
                self._read(node, target, mutable)

    def origin(self, path: str) -> Optional[str]:
        """The toil URI whose content was materialized at ``path`` (outputs that are unchanged
        inputs keep their identity instead of being stored again); None if it was changed."""
        snapshot = self._snapshots.get(path)
        if snapshot is not None and (not os.path.isfile(path) or _stamp(path) != snapshot):
            return None
        return self._origins.get(path)

    def local_path(self, uri: str) -> str:
        """The local path of the file or directory ``uri`` names (downloading it if needed)."""
        cached = self._paths.get(uri)
        if cached is not None:
            return cached
        if uri.startswith(FILE_SCHEME):
            _, basename = parse_file_uri(uri)
            path = self._read(uri, os.path.join(self._fresh_dir(), basename))
        else:
            path = self._dir_entry(self.current(uri))
        self._paths[uri] = path
        self._origins.setdefault(path, uri)
        return path

    def writable_path(self, uri: str) -> str:
        """A private writable copy of ``uri`` (a file or a whole directory) for a tool that updates
        it in place; what the tool changes in it is stored by :func:`toil_cwl.inplace.write_back`."""
        path = self._writable.get(uri)
        if path is None:
            current = self.current(uri)
            if current.startswith(FILE_SCHEME):
                path = self._read(current, os.path.join(self._fresh_dir(), parse_file_uri(uri)[1]),
                                  mutable=True)
            else:
                kind, node = self.resolve(current)
                if kind != "dir" or not isinstance(node, dict):
                    raise WorkflowException(f"{uri} is not a directory")
                _, name, parts = split_dir_uri(current)
                path = os.path.join(self._fresh_dir(), parts[-1] if parts else name)
                self._materialize_tree(node, path, current, mutable=True)
            self._writable[uri] = path
        return path

    def writable_copies(self) -> Dict[str, str]:
        """Toil URI -> the writable copy :meth:`writable_path` made of it."""
        return dict(self._writable)

    def _dir_entry(self, uri: str) -> str:
        encoded, name, parts = split_dir_uri(uri)
        # Reuse an already materialized enclosing directory.
        for depth in range(len(parts) - 1, -1, -1):
            prefix = DIR_SCHEME + encoded + "/" + urllib.parse.quote(name, safe="")
            if depth:
                prefix += "/" + "/".join(urllib.parse.quote(p, safe="") for p in parts[:depth])
            base = self._paths.get(prefix)
            if base is not None:
                candidate = os.path.join(base, *parts[depth:])
                if os.path.lexists(candidate):
                    return candidate
        kind, node = self.resolve(uri)
        if kind == "missing":
            raise FileNotFoundError(f"{uri} names nothing in its directory")
        if kind == "file":
            assert isinstance(node, str)
            basename = parts[-1] if parts else parse_file_uri(node)[1]
            return self._read(node, os.path.join(self._fresh_dir(), basename))
        assert isinstance(node, dict)
        dest = os.path.join(self._fresh_dir(), parts[-1] if parts else name)
        self._materialize_tree(node, dest, uri)
        return dest


def _stamp(path: str) -> Tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


class ToilFsAccess(StdFsAccess):
    """``StdFsAccess`` that also handles ``toilfile:`` and ``toildir:`` URIs."""

    def __init__(self, basedir: str, materializer: Optional[Materializer] = None) -> None:
        super().__init__(basedir)
        self.materializer = materializer

    def _local(self, uri: str) -> str:
        if self.materializer is None:
            raise WorkflowException(f"Cannot read {uri} outside of a Toil job")
        return self.materializer.local_path(uri)

    def glob(self, pattern: str) -> List[str]:
        if is_toil_uri(pattern):
            return [pattern] if self.exists(pattern) else []
        return super().glob(pattern)

    def _resolve(self, uri: str) -> Tuple[str, Optional[Union[str, Tree]]]:
        if self.materializer is not None:
            return self.materializer.resolve(uri)
        return resolve_entry(uri)

    def open(self, fn: str, mode: str) -> IO[Any]:
        if is_toil_uri(fn):
            if any(flag in mode for flag in "wax+"):
                raise WorkflowException(f"Files in the Toil job store are read-only: {fn}")
            return open(self._local(fn), mode)
        return super().open(fn, mode)

    def exists(self, fn: str) -> bool:
        if is_toil_uri(fn):
            try:
                return self._resolve(fn)[0] != "missing"
            except ValueError:
                return False
        return super().exists(fn)

    def size(self, fn: str) -> int:
        if is_toil_uri(fn):
            kind, node = self._resolve(fn)
            if kind == "file":
                return int(parse_file_uri(str(node))[0].size)
            if kind == "dir":
                return 0
            raise FileNotFoundError(fn)
        return super().size(fn)

    def isfile(self, fn: str) -> bool:
        if is_toil_uri(fn):
            try:
                return self._resolve(fn)[0] == "file"
            except ValueError:
                return False
        return super().isfile(fn)

    def isdir(self, fn: str) -> bool:
        if is_toil_uri(fn):
            try:
                return self._resolve(fn)[0] == "dir"
            except ValueError:
                return False
        return super().isdir(fn)

    def listdir(self, fn: str) -> List[str]:
        if is_toil_uri(fn):
            if self.materializer is not None:
                fn = self.materializer.current(fn)
            kind, node = self._resolve(fn)
            if kind != "dir" or not isinstance(node, dict):
                raise NotADirectoryError(fn)
            base = fn.rstrip("/")
            return [base + "/" + urllib.parse.quote(name, safe="") for name in sorted(node)]
        return super().listdir(fn)

    def realpath(self, path: str) -> str:
        if is_toil_uri(path):
            return path
        if self.materializer is not None and self.materializer.real_dirs:
            # cwltool asks for the real path of each directory it just made for a tool run (three
            # per run); in a real directory that is the path itself unless it is a link.
            head, tail = os.path.split(path)
            if head in self.materializer.real_dirs and tail not in ("", ".", "..") and \
                    not os.path.islink(path):
                return path
        return super().realpath(path)


class ToilPathMapper(PathMapper):
    """cwltool's PathMapper for toil URIs: resolved = materialized local path."""

    def __init__(self, referenced_files: Any, basedir: str, stagedir: str, separateDirs: bool = True,
                 materializer: Optional[Materializer] = None) -> None:
        self.materializer = materializer
        super().__init__(referenced_files, basedir, stagedir, separateDirs)

    def _local(self, uri: str) -> str:
        if self.materializer is None:
            raise WorkflowException(f"Cannot stage {uri} outside of a Toil job")
        return self.materializer.local_path(uri)

    def visit(self, obj: Any, stagedir: str, basedir: str, copy: bool = False, staged: bool = False) -> None:
        location = obj["location"]
        if not is_toil_uri(location):
            super().visit(obj, stagedir, basedir, copy=copy, staged=staged)
            return
        if location in self._pathmap:
            return
        stagedir = obj.get("dirname") or stagedir
        target = os.path.join(stagedir, obj["basename"])
        if copy and self.materializer is not None and self.materializer.inplace:
            resolved = self.materializer.writable_path(location)  # the tool updates it in place
        else:
            resolved = self._local(location)
        if obj.get("class") == "Directory":
            kind = "WritableDirectory" if copy else "Directory"
            self._pathmap[location] = MapperEnt(resolved, target, kind, staged)
            self._map_children(obj.get("listing", []), target, resolved, copy, basedir)
        else:
            kind = "WritableFile" if copy else "File"
            self._pathmap[location] = MapperEnt(resolved, target, kind, staged)
            self.visitlisting(obj.get("secondaryFiles", []), stagedir, basedir, copy=copy, staged=staged)

    def _map_children(self, listing: List[Any], target_dir: str, resolved_dir: str, copy: bool,
                      basedir: str) -> None:
        """Entries of a staged directory come with it: map them to their place inside it."""
        for entry in listing:
            location = entry.get("location")
            if not location or location in self._pathmap:
                continue
            child_target = os.path.join(target_dir, entry["basename"])
            child_resolved = os.path.join(resolved_dir, entry["basename"])
            if not os.path.lexists(child_resolved):
                # Not physically part of the directory: stage it on its own.
                self.visit(entry, target_dir, basedir, copy=copy, staged=True)
                continue
            is_dir = entry.get("class") == "Directory"
            kind = ("Writable" if copy else "") + ("Directory" if is_dir else "File")
            self._pathmap[location] = MapperEnt(child_resolved, child_target, kind, False)
            if is_dir:
                self._map_children(entry.get("listing", []), child_target, child_resolved, copy, basedir)


# ---------------------------------------------------------------------------------------------
# Storing outputs
# ---------------------------------------------------------------------------------------------

def local_path_of(location: str) -> Optional[str]:
    """The local path a ``file://`` URI or absolute path names, else None."""
    if location.startswith("file://"):
        return uri_file_path(location)
    if location.startswith("/"):
        return location
    return None


class Uploader:
    """Stores a tool's local output files and directories once each (``nonce``: give directories
    an identity, in runs with in-place updates)."""

    def __init__(self, file_store: Any, materializer: Optional[Materializer], nonce: bool = False) -> None:
        self.file_store = file_store
        self.materializer = materializer
        self.nonce = nonce
        self.known: Dict[str, str] = {}  # real path -> toil URI

    def _dir_uri(self, tree: Tree, name: str) -> str:
        return dir_uri(tree, name, new_nonce() if self.nonce else None)

    def remember_dir(self, path: str, uri: str) -> None:
        """Outputs that are the directory ``path`` are ``uri``."""
        self.known[os.path.realpath(path) + "\0/"] = uri

    def _origin(self, path: str) -> Optional[str]:
        return self.materializer.origin(path) if self.materializer is not None else None

    def store_file(self, path: str, basename: str) -> str:
        real = os.path.realpath(path)
        uri = self.known.get(real + "\0" + basename)
        if uri is None:
            # An unchanged input (or a link to one) keeps its identity.
            origin = self._origin(path) or self._origin(real)
            if origin is not None and origin.startswith(FILE_SCHEME) and parse_file_uri(origin)[1] == basename:
                self.known[real + "\0" + basename] = origin
                return origin
            file_id = self.file_store.writeGlobalFile(path)
            uri = file_uri_for(file_id, basename)
            self.known[real + "\0" + basename] = uri
        return uri

    def store_tree(self, path: str) -> Tree:
        tree: Tree = {}
        for name in sorted(os.listdir(path)):
            full = os.path.join(path, name)
            if os.path.isdir(full):
                tree[name] = self.store_tree(full)
                subtree = tree[name]
                self.known[os.path.realpath(full) + "\0/"] = self._dir_uri(subtree, name)  # type: ignore[arg-type]
            elif os.path.exists(full):
                tree[name] = self.store_file(full, name)
            else:
                logger.warning("Skipping broken symbolic link %s in an output directory", full)
        return tree

    def entry(self, obj: MutableMapping[str, Any]) -> None:
        location = obj.get("location")
        basename = obj.get("basename")
        if obj.get("class") == "File":
            if isinstance(location, str) and not location.startswith("_:") and not is_toil_uri(location):
                path = local_path_of(location)
                if path is None:
                    pass  # a remote URL: leave it for the consumer to fetch
                elif os.path.isfile(path):
                    name = basename or os.path.basename(path)
                    origin = self._origin(path)
                    if origin is not None and origin.startswith("toilfile:") and \
                            parse_file_uri(origin)[1] == name:
                        obj["location"] = origin
                    else:
                        obj["location"] = self.store_file(path, name)
                    obj["basename"] = name
                else:
                    raise WorkflowException(f"Output file {location} does not exist")
            for secondary in obj.get("secondaryFiles", []) or []:
                self.entry(secondary)
        else:
            if isinstance(location, str) and not location.startswith("_:") and not is_toil_uri(location):
                path = local_path_of(location)
                if path is not None:
                    if not os.path.isdir(path):
                        raise WorkflowException(f"Output directory {location} does not exist")
                    name = basename or os.path.basename(path.rstrip("/"))
                    known = self.known.get(os.path.realpath(path) + "\0/")
                    origin = self._origin(path)
                    if known is None and origin is not None and origin.startswith(DIR_SCHEME):
                        known = origin  # an input directory passed through unchanged
                    obj["location"] = known or self._dir_uri(self.store_tree(path), name)
                    obj["basename"] = name
            for child in obj.get("listing", []) or []:
                self.entry(child)
        obj.pop("path", None)
        obj.pop("dirname", None)

    def walk(self, value: Any) -> None:
        if isinstance(value, MutableMapping):
            if value.get("class") in ("File", "Directory"):
                self.entry(value)
            else:
                for item in value.values():
                    self.walk(item)
        elif isinstance(value, list):
            for item in value:
                self.walk(item)


def upload_outputs(value: Any, file_store: Any, materializer: Optional[Materializer] = None,
                   uploader: Optional[Uploader] = None) -> Any:
    """Store local files and directories referenced by ``value`` in the job store, in place."""
    (uploader or Uploader(file_store, materializer)).walk(value)
    return value
