"""A cache of the plugin metadata scan, so a workflow's processes do not read every distribution.

:func:`toil_core.plugins.metadata.scan` reads ``entry_points.txt`` of every installed distribution
(a virtualenv with the test extras has over a hundred) and parses the ``METADATA`` of each one
that declares ``toil.*`` entry points. The leader, the fork server and ``toil`` commands all do
it at start: 15-20 ms of CPU each. The result depends only on files, so it is kept in one JSON
file per interpreter (``$XDG_CACHE_HOME/toil/plugin-index-*.json``, ``~/.cache`` by default;
``TOIL_PLUGIN_INDEX=off`` disables it) together with a fingerprint of what it was read from:

* every ``sys.path`` entry in order, and in each folder the name of every ``*.dist-info`` /
  ``*.egg-info`` folder (installing, upgrading or removing a distribution adds or removes one)
  with the modification time of its ``entry_points.txt`` (entry points rewritten in place, as an
  editable reinstall does); a ``sys.path`` entry that is a file (a zip) with its own time, and
* for each distribution the records came from, the modification times of its ``METADATA`` /
  ``PKG-INFO`` (its version and requirements).

A cached index is used only if the fingerprint taken now equals a stored one; otherwise the scan
runs and its result is added (the file keeps the :data:`KEEP` most recent, as the leader, the fork
server and ``toil`` commands each have their own ``sys.path``; it is replaced atomically: written
next to it and renamed). Computing the
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
from typing import Any, Dict, List, Optional, Sequence

__all__ = ["ENV", "KEEP", "META_FILES", "SETTLE_NS", "fingerprint", "index_path", "meta_stamps", "read", "settled",
           "write"]

#: ``TOIL_PLUGIN_INDEX=off`` (or ``0``, ``no``, ``false``) scans every time.
ENV = "TOIL_PLUGIN_INDEX"
#: Bumped when the stored rows change shape.
FORMAT = 2
#: Files changed less than this long ago (ns) are too new to cache (see :func:`settled`).
SETTLE_NS = 2_000_000_000
#: How many fingerprints (``sys.path`` layouts) the index file keeps.
KEEP = 8
#: The files whose content the cached rows hold, besides ``entry_points.txt``.
META_FILES = ("METADATA", "PKG-INFO")
_SUFFIXES = (".dist-info", ".egg-info")


def _enabled() -> bool:
    return os.environ.get(ENV, "").strip().lower() not in ("off", "0", "no", "false")


def index_path() -> str:
    """The index file of this interpreter (its ``sys.prefix`` and version make the name)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    tag = "".join(c if c.isalnum() else "_" for c in os.path.realpath(sys.prefix)).strip("_")[-120:]
    return os.path.join(base, "toil", f"plugin-index-py{sys.version_info[0]}{sys.version_info[1]}-{tag}.json")


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


def _load() -> List[Dict[str, Any]]:
    try:
        with open(index_path(), encoding="utf-8") as stream:
            stored = json.load(stream)
        entries = stored.get("entries") if isinstance(stored, dict) else None
        return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
    except (OSError, ValueError):
        return []


def read(key: Sequence[Any]) -> Optional[List[Dict[str, Any]]]:
    """The stored rows of fingerprint ``key`` if there are any and no row's metadata changed."""
    wanted = list(key)
    for entry in _load():
        if entry.get("key") != wanted:
            continue
        try:
            rows = entry["rows"]
            for row in rows:
                if row["meta_stamps"] != meta_stamps(row["dist_path"]):
                    return None
            return list(rows)
        except (KeyError, TypeError):
            return None
    return None


def write(key: Sequence[Any], rows: List[Dict[str, Any]]) -> None:
    """Store ``rows`` under ``key`` (dropping the oldest fingerprints beyond :data:`KEEP`),
    replacing the index file atomically; failures are ignored (the cache is only a cache)."""
    path = index_path()
    wanted = list(key)
    entries = [e for e in _load() if e.get("key") != wanted][-(KEEP - 1):] + [{"key": wanted, "rows": rows}]
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".plugin-index-", dir=os.path.dirname(path))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                json.dump({"entries": entries}, stream)
            os.replace(temp, path)
        except BaseException:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise
    except (OSError, TypeError, ValueError):
        pass
