"""A cache of the plugin metadata scan, so a workflow's processes do not read every distribution.

:func:`toil_core.plugins.metadata.scan` reads ``entry_points.txt`` of every installed distribution
(a virtualenv with the test extras has over a hundred) and parses the ``METADATA`` of each one
that declares ``toil.*`` entry points. The leader, the fork server and ``toil`` commands all do
it at start: 15-20 ms of CPU each. The result depends only on files, so it is kept in a JSON
file per interpreter and ``sys.path`` layout (the leader, the fork server and ``toil`` commands
each have their own): ``$XDG_CACHE_HOME/toil/plugin-index-*.json``, ``~/.cache`` by default, the
:data:`KEEP` most recently used kept; ``TOIL_PLUGIN_INDEX=off`` disables it. With the rows the
file holds a fingerprint of what they were read from:

* every ``sys.path`` entry in order, and in each folder the name of every ``*.dist-info`` /
  ``*.egg-info`` folder (installing, upgrading or removing a distribution adds or removes one)
  with the modification time of its ``entry_points.txt`` (entry points rewritten in place, as an
  editable reinstall does); a ``sys.path`` entry that is a file (a zip) with its own time, and
* for each distribution the records came from, the modification times of its ``METADATA`` /
  ``PKG-INFO`` (its version and requirements).

A cached index is used only if the fingerprint taken now equals the stored one; otherwise the scan
runs and the file is replaced (atomically: written next to it and renamed). Computing the
fingerprint lists the ``sys.path`` folders and stats one file per distribution, without reading
any. An index whose files changed in the last two seconds is not stored (:func:`settled`).
Distributions that a finder other than the standard path finder provides cannot be
fingerprinted; with such a finder on ``sys.meta_path`` no index is used. Any problem reading or
writing the file falls back to the scan: the cache can make a start faster, never different.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import zlib
from typing import Any, Dict, List, Optional, Sequence

__all__ = ["ENV", "KEEP", "META_FILES", "SETTLE_NS", "fingerprint", "index_folder", "index_path", "meta_stamps", "read",
           "settled", "write"]

#: ``TOIL_PLUGIN_INDEX=off`` (or ``0``, ``no``, ``false``) scans every time.
ENV = "TOIL_PLUGIN_INDEX"
#: Bumped when the stored rows change shape.
FORMAT = 3
#: Files changed less than this long ago (ns) are too new to cache (see :func:`settled`).
SETTLE_NS = 2_000_000_000
#: How many index files (one per ``sys.path`` layout) the cache folder keeps.
KEEP = 64
#: The files whose content the cached rows hold, besides ``entry_points.txt``.
META_FILES = ("METADATA", "PKG-INFO")
_SUFFIXES = (".dist-info", ".egg-info")


def _enabled() -> bool:
    return os.environ.get(ENV, "").strip().lower() not in ("off", "0", "no", "false")


def index_folder() -> str:
    """The folder of the index files (``$XDG_CACHE_HOME/toil``, ``~/.cache/toil`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "toil")


def index_path() -> str:
    """The index file of this interpreter (``sys.prefix``, its version) and ``sys.path`` layout."""
    tag = "".join(c if c.isalnum() else "_" for c in os.path.realpath(sys.prefix)).strip("_")[-80:]
    layout = zlib.crc32(json.dumps([sys.path, os.getcwd() if "" in sys.path else None]).encode())
    return os.path.join(index_folder(),
                        f"plugin-index-py{sys.version_info[0]}{sys.version_info[1]}-{tag}-{layout:08x}.json")


def _mtime(path: str) -> Optional[int]:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def fingerprint() -> Optional[List[Any]]:
    """What the scan reads from, as comparable data; None if it cannot be taken (see above)."""
    if not _enabled():
        return None
    # lazy: importlib.machinery is loaded at start-up anyway; only its PathFinder is compared
    from importlib.machinery import PathFinder

    if any(getattr(finder, "find_distributions", None) is not None and finder is not PathFinder
           for finder in sys.meta_path):
        return None
    parts: List[Any] = [FORMAT]
    for entry in sys.path:
        folder = entry or os.getcwd()  # "" is the current directory, for importlib.metadata too
        if not os.path.isdir(folder):
            parts.append([entry, folder, _mtime(folder)])  # a zip file, or nothing
            continue
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return None
        parts.append([entry, folder, [[name, _mtime(os.path.join(folder, name, "entry_points.txt"))]
                                      for name in names if name.lower().endswith(_SUFFIXES)]])
    return parts


def meta_stamps(dist_path: str) -> List[Any]:
    """The modification times of a distribution's metadata files (part of the fingerprint)."""
    return [[name, _mtime(os.path.join(dist_path, name))] for name in META_FILES]


def _stamps_in(value: Any) -> List[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, (list, tuple)):
        return [stamp for item in value for stamp in _stamps_in(item)]
    if isinstance(value, dict):
        return _stamps_in(value.get("meta_stamps"))
    return []


def settled(key: Sequence[Any], rows: List[Dict[str, Any]], now_ns: Optional[int] = None) -> bool:
    """True if every file time in ``key`` and ``rows`` is older than :data:`SETTLE_NS`.

    A file rewritten within the file system's timestamp granularity (a few milliseconds) keeps its
    time; an index of files that new could hide such a rewrite, so it is not stored (as git does
    with its index).
    """
    now = time.time_ns() if now_ns is None else now_ns
    return all(stamp < now - SETTLE_NS for stamp in _stamps_in(list(key)[1:]) + _stamps_in(rows))


def read(key: Sequence[Any]) -> Optional[List[Dict[str, Any]]]:
    """The stored rows if the stored fingerprint equals ``key`` and no row's metadata changed."""
    path = index_path()
    try:
        with open(path, encoding="utf-8") as stream:
            stored = json.load(stream)
        if not isinstance(stored, dict) or stored.get("key") != list(key):
            return None
        rows = stored["rows"]
        for row in rows:
            if row["meta_stamps"] != meta_stamps(row["dist_path"]):
                return None
        try:
            os.utime(path)  # used: the pruning in write() keeps it
        except OSError:
            pass  # a read-only cache is still a cache
        return list(rows)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write(key: Sequence[Any], rows: List[Dict[str, Any]]) -> None:
    """Store ``rows`` under ``key``, replacing the index file atomically, and remove the least
    recently used index files beyond :data:`KEEP`; failures are ignored (it is only a cache)."""
    path = index_path()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".plugin-index-", dir=os.path.dirname(path))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                stream.write(json.dumps({"key": list(key), "rows": rows}))  # dumps: the C encoder
            os.replace(temp, path)
        except BaseException:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise
        _prune(os.path.dirname(path))
    except (OSError, TypeError, ValueError):
        pass


def _prune(folder: str) -> None:
    files = []
    for name in os.listdir(folder):
        if name.startswith("plugin-index-") and name.endswith(".json"):
            stamp = _mtime(os.path.join(folder, name))
            if stamp is not None:
                files.append((stamp, name))
    for _, name in sorted(files)[:-KEEP] if len(files) > KEEP else []:
        try:
            os.unlink(os.path.join(folder, name))
        except OSError:
            pass
