"""InplaceUpdateRequirement: tools that modify their input files and directories in place.

Files in the job store never change once written (the node caches and the ``toilfile:`` URIs that
carry a file's size rely on that), and a ``toildir:`` URI carries its directory's content. So an
in-place update is recorded as a *redirect*: the updated content is stored as new files, and a
small shared file of the job store, named after the identity of the updated value, points from
the old URI to the new one. Every job of a run that has a tool with ``inplaceUpdate: true``
follows redirects whenever it resolves a toil URI (:meth:`Redirects.current`), so the steps that
come after the update (the workflow author orders them, as the CWL specification requires) see
the new content through any copy of the value, as they would see the same path under cwltool.

* The identity of a file is its job store file ID; that of a directory its URI, which in such a
  run carries a nonce (see :mod:`toil_cwl.locations`), so equal directories stay distinct.
* A file updated inside an updated directory gets its own redirect too, so values taken from
  an earlier listing see the new content.
* A retried job ignores the redirects its own earlier attempts recorded: it starts again from
  the content it was given, and its new attempt's update replaces the old one.
* The user's input files are not modified: the updates live in the job store and reach the
  user through the workflow's outputs.
* Runs without the requirement pay nothing: no redirect is ever looked up.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import urllib.parse
import uuid
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from cwltool.errors import WorkflowException
from cwltool.utils import visit_class

from toil_core.plugin_api import NoSuchFileException
from toil_cwl.locations import (
    FILE_SCHEME,
    Tree,
    below,
    dir_root,
    dir_uri,
    is_toil_uri,
    parse_file_uri,
    split_dir_uri,
)

if TYPE_CHECKING:
    from toil_cwl.fsaccess import Materializer, Uploader

logger = logging.getLogger(__name__)

__all__ = ["Redirects", "new_nonce", "resolve_values", "updates_in_place", "write_back"]

#: Redirects chained longer than this are taken for a loop (a damaged job store).
MAX_CHAIN = 10000
PREFIX = "cwl-inplace-"


def updates_in_place(process: Any) -> bool:
    """Whether ``process`` (a cwltool Process) has ``InplaceUpdateRequirement`` with
    ``inplaceUpdate: true``, as a requirement or a hint."""
    requirement, _ = process.get_requirement("InplaceUpdateRequirement")
    return bool(requirement and requirement.get("inplaceUpdate"))


def new_nonce() -> str:
    """A fresh directory identity (URL-safe, no ``.`` or ``/``)."""
    return uuid.uuid4().hex


def _identity(uri: str) -> str:
    """The identity of the value a toil URI names: its file ID for a ``toilfile:`` URI, else the
    normalized directory URI (an entry below a directory is its own value)."""
    if uri.startswith(FILE_SCHEME):
        return "file:" + str(parse_file_uri(uri)[0])
    root, parts = dir_root(uri)
    return "dir:" + below(root, parts)


def _shared_name(identity: str) -> str:
    return PREFIX + hashlib.sha256(identity.encode("utf-8")).hexdigest()[:48]


def _renamed(uri: str, name: str) -> str:
    """A ``toildir:`` URI of a directory (no entry below it) called ``name`` instead."""
    return uri.rstrip("/").rsplit("/", 1)[0] + "/" + urllib.parse.quote(name, safe="")


class Redirects:
    """The in-place updates of a run, as seen from one job (kept in the job store's shared files;
    looked up once per value and job)."""

    def __init__(self, job_store: Any, job_id: Optional[str]) -> None:
        self.job_store = job_store
        self.job_id = str(job_id) if job_id is not None else None
        self._known: Dict[str, Optional[str]] = {}  # identity -> URI of its newest content, or None

    def _lookup(self, identity: str) -> Optional[str]:
        if identity not in self._known:
            target = None
            try:
                with self.job_store.read_shared_file_stream(_shared_name(identity)) as stream:
                    record = json.loads(stream.read().decode("utf-8"))
            except NoSuchFileException:
                record = None
            if record is not None and record.get("identity") == identity and \
                    (self.job_id is None or record.get("job") != self.job_id):
                target = record.get("uri")
            self._known[identity] = target
        return self._known[identity]

    def _step(self, uri: str) -> Optional[str]:
        """``uri`` after following one redirect (of it or of a directory above it), or None."""
        if uri.startswith(FILE_SCHEME):
            target = self._lookup(_identity(uri))
            # Keep the name the holder knows the file by.
            return None if target is None else target.rsplit("/", 1)[0] + "/" + uri.split("/", 1)[1]
        root, parts = dir_root(uri)
        names = [split_dir_uri(root)[1], *parts]
        for depth in range(len(parts) + 1):
            target = self._lookup("dir:" + below(root, parts[:depth]))
            if target is not None:
                return below(_renamed(target, names[depth]), parts[depth:])
        return None

    def current(self, uri: str) -> str:
        """The URI holding the newest content of what ``uri`` named."""
        for _ in range(MAX_CHAIN):
            if not is_toil_uri(uri):
                return uri
            newer = self._step(uri)
            if newer is None:
                return uri
            uri = newer
        raise WorkflowException(f"In-place updates of {uri} form a loop: the job store is damaged")

    def record(self, old: str, new: str) -> None:
        """Note that the value ``old`` names now has the content of ``new``."""
        identity = _identity(old)
        record = {"identity": identity, "uri": new, "job": self.job_id}
        with self.job_store.write_shared_file_stream(_shared_name(identity)) as stream:
            stream.write(json.dumps(record).encode("utf-8"))
        self._known[identity] = new
        logger.debug("In-place update: %s -> %s", identity, new)


def resolve_values(value: Any, redirects: Redirects) -> Any:
    """Point every File/Directory of ``value`` at its newest content (in place)."""
    def visit(obj: Dict[str, Any]) -> None:
        location = obj.get("location")
        if isinstance(location, str) and is_toil_uri(location):
            obj["location"] = redirects.current(location)

    visit_class(value, ("File", "Directory"), visit)
    return value


def _changed_files(old: Tree, new: Tree) -> Dict[str, str]:
    """Old file URI -> new file URI, for files at the same place in both trees whose URIs differ."""
    changes: Dict[str, str] = {}
    for name, node in old.items():
        other = new.get(name)
        if isinstance(node, dict) and isinstance(other, dict):
            changes.update(_changed_files(node, other))
        elif isinstance(node, str) and isinstance(other, str) and node != other:
            changes[node] = other
    return changes


def write_back(materializer: "Materializer", uploader: "Uploader", redirects: Redirects) -> None:
    """Store what a tool changed in the writable copies it was given, and record the redirects.

    Called after the tool ran; ``uploader`` then maps the tool's outputs that are those copies
    to the new URIs. Redirects are recorded for the newest URI of each value (which every older
    one leads to) and for the one the tool was given.
    """
    for uri, path in materializer.writable_copies().items():
        kind, node = materializer.resolve(uri)
        if kind == "file":
            assert isinstance(node, str)
            if not os.path.isfile(path):
                raise WorkflowException(f"The tool removed {path}, which it was to update in place")
            new = uploader.store_file(path, parse_file_uri(node)[1])
            if new != node:
                redirects.record(node, new)
            continue
        if not os.path.isdir(path):
            raise WorkflowException(f"The tool removed {path}, which it was to update in place")
        current = redirects.current(uri)
        tree = uploader.store_tree(path)
        new = current
        if tree != node:
            new = dir_uri(tree, os.path.basename(path), new_nonce())
            old_tree = node if isinstance(node, dict) else {}
            for old_file, new_file in _changed_files(old_tree, tree).items():
                redirects.record(old_file, new_file)
            for old in {current, uri}:
                redirects.record(old, new)
        uploader.remember_dir(path, new)
