"""Moving CWL files in and out of the job store on the leader.

* :func:`import_inputs` imports every File and Directory of the input object (``file://``, plain
  paths and any URL scheme the job store can import) and rewrites their locations to
  ``toilfile:``/``toildir:`` URIs (see :mod:`toil_cwl.locations`).
* :func:`import_process_defaults` does the same for File/Directory values written into the CWL
  documents themselves (input and step defaults, InitialWorkDir listings), so workers never need
  the leader's file system.
* :func:`export_outputs` copies the final outputs to ``--outdir`` (or a ``--destBucket`` URL),
  resolving name clashes the way cwltool does (``name_2``...), and rewrites locations to the
  exported ones, with ``path``, ``size`` and (optionally) ``checksum``, like cwltool's output.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
import urllib.parse
from typing import Any, Callable, Dict, Iterator, List, MutableMapping, Optional

from cwltool.errors import WorkflowException
from cwltool.process import get_listing
from cwltool.utils import adjustDirObjs, visit_class
from schema_salad.ref_resolver import file_uri, uri_file_path

from toil_cwl.fsaccess import ToilFsAccess
from toil_cwl.inplace import new_nonce
from toil_cwl.locations import (
    DIR_SCHEME,
    FILE_SCHEME,
    Tree,
    dir_uri,
    file_uri_for,
    is_toil_uri,
    parse_file_uri,
    resolve_entry,
)

logger = logging.getLogger(__name__)

__all__ = ["Importer", "export_outputs", "import_inputs", "import_process_defaults", "walk_processes"]


# ---------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------

class Importer:
    """Imports local files and URLs into the job store once each (``import_fn(url) -> FileID``)."""

    def __init__(self, import_fn: Callable[[str], Any], nonce: bool = False) -> None:
        self.import_fn = import_fn
        self.nonce = nonce
        self._files: Dict[str, Any] = {}
        self._dirs: Dict[str, Tree] = {}
        self._nonces: Dict[str, str] = {}

    def _identity(self, path: str) -> Optional[str]:
        """The identity nonce of the local directory ``path`` (one per directory), in runs that
        update directories in place; None otherwise."""
        if not self.nonce:
            return None
        real = os.path.realpath(path)
        if real not in self._nonces:
            self._nonces[real] = new_nonce()
        return self._nonces[real]

    def _file_id(self, url: str) -> Any:
        key = url
        path = uri_file_path(url) if url.startswith("file://") else None
        if path is not None:
            key = os.path.realpath(path)
            if not os.path.isfile(path):
                raise WorkflowException(f"Input file {path} does not exist or is not a file")
        if key not in self._files:
            file_id = self.import_fn(url)
            if file_id is None:
                raise WorkflowException(f"Could not import {url} into the job store")
            self._files[key] = file_id
        return self._files[key]

    def tree(self, path: str) -> Tree:
        real = os.path.realpath(path)
        if real not in self._dirs:
            tree: Tree = {}
            for name in sorted(os.listdir(path)):
                full = os.path.join(path, name)
                if os.path.isdir(full):
                    tree[name] = self.tree(full)
                elif os.path.isfile(full):
                    tree[name] = file_uri_for(self._file_id(file_uri(full)), name)
                else:
                    logger.warning("Skipping %s: not a regular file or directory", full)
            self._dirs[real] = tree
        return self._dirs[real]

    def entry(self, obj: MutableMapping[str, Any], required: bool = True) -> None:
        location = obj.get("location")
        if obj.get("class") == "File":
            if isinstance(location, str) and not location.startswith("_:") and not is_toil_uri(location):
                url = _as_url(location)
                if url.startswith("file://") and not os.path.isfile(uri_file_path(url)) and not required:
                    return
                basename = obj.get("basename") or os.path.basename(urllib.parse.urlparse(url).path)
                obj["location"] = file_uri_for(self._file_id(url), urllib.parse.unquote(basename))
                obj.setdefault("basename", urllib.parse.unquote(basename))
            for secondary in obj.get("secondaryFiles", []) or []:
                self.entry(secondary, required)
        elif obj.get("class") == "Directory":
            if isinstance(location, str) and not location.startswith("_:") and not is_toil_uri(location):
                url = _as_url(location)
                if not url.startswith("file://"):
                    raise WorkflowException(f"Cannot import the directory {location}: only local "
                                            "directories can be imported")
                path = uri_file_path(url)
                if not os.path.isdir(path):
                    if not required:
                        return
                    raise WorkflowException(f"Input directory {path} does not exist")
                basename = obj.get("basename") or os.path.basename(path.rstrip("/"))
                obj["location"] = dir_uri(self.tree(path), basename, self._identity(path))
                obj.setdefault("basename", basename)
            for child in obj.get("listing", []) or []:
                self.entry(child, required)
        obj.pop("path", None)
        obj.pop("dirname", None)


def _as_url(location: str) -> str:
    if location.startswith("/"):
        return file_uri(location)
    if "://" not in location and not location.startswith("file:"):
        return file_uri(os.path.abspath(location))
    return location


def import_inputs(job_order: Any, importer: Importer) -> Any:
    """Import every File/Directory of ``job_order`` (in place)."""
    visit_class(job_order, ("File", "Directory"), importer.entry)
    return job_order


def walk_processes(process: Any) -> Iterator[Any]:
    """The process, its workflow steps and their embedded processes, recursively."""
    yield process
    for step in getattr(process, "steps", None) or []:
        yield step
        yield from walk_processes(step.embedded_tool)


def import_process_defaults(process: Any, importer: Importer) -> None:
    """Import File/Directory literals written in the CWL documents (defaults and the like).

    Missing files are left alone: cwltool only complains about them if they are used.
    """
    visit = functools.partial(importer.entry, required=False)
    for proc in walk_processes(process):
        for attribute in ("tool", "inputs_record_schema"):
            document = getattr(proc, attribute, None)
            if document is not None:
                visit_class(document, ("File", "Directory"), visit)


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------

def _entries(value: Any) -> Iterator[MutableMapping[str, Any]]:
    """Top-level File/Directory objects of an output object (not those inside listings)."""
    if isinstance(value, MutableMapping):
        if value.get("class") in ("File", "Directory"):
            yield value
            for secondary in value.get("secondaryFiles", []) or []:
                yield from _entries(secondary)
        else:
            for item in value.values():
                yield from _entries(item)
    elif isinstance(value, list):
        for item in value:
            yield from _entries(item)


class Exporter:
    """Writes the final outputs to a local directory or a URL prefix."""

    def __init__(self, export_fn: Callable[[Any, str], None], outdir: str,
                 dest_url: Optional[str] = None) -> None:
        self.export_fn = export_fn
        self.outdir = outdir
        self.dest_url = dest_url.rstrip("/") if dest_url else None
        self.targets: Dict[str, str] = {}  # location -> target path (relative to outdir)
        self.taken: Dict[str, str] = {}  # relative target -> location
        self.next_index: Dict[str, int] = {}  # basename -> next suffix to try

    def _claim(self, location: str, basename: str) -> str:
        if location in self.targets:
            return self.targets[location]
        target = basename
        index = self.next_index.get(basename, 2)
        # Distinct outputs with one name get name_2, name_3...; files left in --outdir by
        # earlier runs are overwritten, as cwltool does. The next index to try is remembered per
        # name (a scatter's 1000 outputs of one name would otherwise probe 500,000 names).
        while target in self.taken:
            target = f"{basename}_{index}"
            index += 1
        if target != basename:
            self.next_index[basename] = index
        self.targets[location] = target
        self.taken[target] = location
        return target

    def _local(self, relative: str) -> str:
        return os.path.join(self.outdir, relative)

    def _url(self, relative: str) -> str:
        if self.dest_url is not None:
            return self.dest_url + "/" + "/".join(urllib.parse.quote(p) for p in relative.split("/"))
        return file_uri(self._local(relative))

    def _write_file(self, location: str, relative: str, contents: Optional[str]) -> None:
        url = self._url(relative)
        local = self._local(relative) if self.dest_url is None else None
        if local is not None:
            os.makedirs(os.path.dirname(local), exist_ok=True)
            if os.path.isdir(local) and not os.path.islink(local):
                shutil.rmtree(local)
            elif os.path.lexists(local):
                os.unlink(local)
        if location.startswith(FILE_SCHEME):
            file_id, _ = parse_file_uri(location)
            self.export_fn(file_id, url)
        elif location.startswith(DIR_SCHEME):
            kind, node = resolve_entry(location)
            if kind != "file":
                raise WorkflowException(f"{location} is not a file")
            self.export_fn(parse_file_uri(str(node))[0], url)
        elif location.startswith("_:") or contents is not None:
            if local is None:
                raise WorkflowException("Literal output files can only be written to a local --outdir")
            with open(local, "w", encoding="utf-8") as handle:
                handle.write(contents or "")
        elif location.startswith("file://") or location.startswith("/"):
            source = uri_file_path(location) if location.startswith("file://") else location
            if local is None:
                raise WorkflowException("Local output files can only be written to a local --outdir")
            shutil.copy2(source, local)
        else:
            raise WorkflowException(f"Don't know how to export {location}")

    def _write_tree(self, tree: Tree, relative: str) -> None:
        if self.dest_url is None:
            os.makedirs(self._local(relative), exist_ok=True)
        for name, node in tree.items():
            child = f"{relative}/{name}"
            if isinstance(node, dict):
                self._write_tree(node, child)
            else:
                self._write_file(node, child, None)

    def _write_dir(self, obj: MutableMapping[str, Any], relative: str) -> None:
        location = obj.get("location", "")
        local = self._local(relative) if self.dest_url is None else None
        if local is not None and os.path.lexists(local) and not os.path.isdir(local):
            os.unlink(local)
        if location.startswith(DIR_SCHEME):
            kind, node = resolve_entry(location)
            if kind != "dir" or not isinstance(node, dict):
                raise WorkflowException(f"{location} is not a directory")
            self._write_tree(node, relative)
        elif location.startswith("file://"):
            if local is None:
                raise WorkflowException("Local output directories can only be written to a local --outdir")
            source = uri_file_path(location)
            if os.path.realpath(source) != os.path.realpath(local):
                if os.path.isdir(local):
                    shutil.rmtree(local)
                shutil.copytree(source, local)
        elif local is not None:
            os.makedirs(local, exist_ok=True)
        for child in obj.get("listing", []) or []:
            child_relative = f"{relative}/{child['basename']}"
            if child.get("class") == "Directory":
                self._write_dir(child, child_relative)
            elif self.dest_url is not None or not os.path.lexists(self._local(child_relative)):
                self._write_file(child.get("location", "_:"), child_relative, child.get("contents"))

    def _relocate(self, obj: MutableMapping[str, Any], relative: str) -> None:
        """Point ``obj`` (and what it contains) at its exported place."""
        url = self._url(relative)
        obj["location"] = url
        for key in ("path", "nameext", "nameroot", "dirname"):
            obj.pop(key, None)
        if self.dest_url is None:
            obj["path"] = self._local(relative)
        if obj.get("class") == "File":
            obj.pop("contents", None)
        for child in obj.get("listing", []) or []:
            self._relocate(child, f"{relative}/{child['basename']}")

    def export(self, output: Any) -> Any:
        entries = list(_entries(output))
        done: Dict[str, str] = {}
        for obj in entries:
            location = obj.get("location") or "_:"
            basename = obj.get("basename") or os.path.basename(location.rstrip("/")) or "output"
            relative = self._claim(location if location != "_:" else f"_:{id(obj)}", basename)
            if relative not in done:
                if obj.get("class") == "Directory":
                    self._write_dir(obj, relative)
                else:
                    self._write_file(location, relative, obj.get("contents"))
                done[relative] = location
            self._relocate(obj, relative)
        return output


def _add_size_and_checksum(compute_checksum: bool, keep_checksums: bool, obj: MutableMapping[str, Any]) -> None:
    path = obj.get("path")
    if not path or not os.path.isfile(path):
        return
    obj["size"] = os.path.getsize(path)
    if compute_checksum and not (keep_checksums and str(obj.get("checksum", "")).startswith("sha1$")):
        digest = hashlib.sha1()  # noqa: S324 - CWL checksums are sha1
        with open(path, "rb") as handle:
            for chunk in iter(functools.partial(handle.read, 1 << 20), b""):
                digest.update(chunk)
        obj["checksum"] = "sha1$" + digest.hexdigest()


def export_outputs(output: Any, export_fn: Callable[[Any, str], None], outdir: str,
                   compute_checksum: bool = True, dest_url: Optional[str] = None,
                   keep_checksums: bool = False) -> Any:
    """Export the final output object; returns it with rewritten locations (in place).

    ``keep_checksums``: a File that already has a checksum keeps it (as cwltool does: the tool's
    job computed it from the very bytes exported here); not in runs where a later step may have
    updated a file in place after its checksum was taken.
    """
    fs_access = ToilFsAccess(outdir)
    adjustDirObjs(output, functools.partial(get_listing, fs_access, recursive=True))
    if dest_url is None:
        os.makedirs(outdir, exist_ok=True)
    Exporter(export_fn, outdir, dest_url).export(output)
    visit_class(output, ("File",), functools.partial(_add_size_and_checksum, compute_checksum, keep_checksums))
    visit_class(output, ("File",), lambda obj: obj.pop("http://commonwl.org/cwltool#generation", None))
    return output


def collect_locations(value: Any) -> List[str]:
    """Every File/Directory location in ``value`` (for tests and diagnostics)."""
    found: List[str] = []
    visit_class(value, ("File", "Directory"), lambda obj: found.append(obj.get("location", "")))
    return found
