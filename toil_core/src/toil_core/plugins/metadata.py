"""What the installed distributions declare, read from metadata alone (nothing is imported).

Holds the entry point records of the ``toil.*`` groups, the ``TOIL_DISABLE_PLUGINS`` rules and
the check of a plugin distribution's ``toil-core`` requirement. Used by
:mod:`toil_core.plugins.discovery`, which memoizes :func:`scan`.
"""
from __future__ import annotations

import functools
import importlib.metadata
import logging
import os
import pathlib
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

import attrs

from toil_core import __version__

from . import index as _index
from .specs import KINDS, kind_info, normalize_name
from .versions import unsatisfied_core_requirement

__all__ = [
    "CORE_DISTRIBUTION",
    "DISABLE_ENV",
    "EntryPointRecord",
    "core_version",
    "disable_tokens",
    "disabled_by",
    "dist_key",
    "incompatibility",
    "scan",
]

log = logging.getLogger(__name__)

DISABLE_ENV = "TOIL_DISABLE_PLUGINS"
CORE_DISTRIBUTION = "toil-core"


def dist_key(name: Optional[str]) -> str:
    """A distribution name normalized for comparison (``Toil.HPC`` == ``toil-hpc``)."""
    return re.sub(r"[-_.]+", "_", (name or "").strip().lower())


@attrs.frozen
class EntryPointRecord:
    """One entry point in a ``toil.*`` group, as read from metadata (nothing imported)."""

    kind: str
    group: str
    name: str  # normalized
    raw_name: str  # as declared; what stevedore loads by
    value: str
    distribution: Optional[str]
    version: Optional[str]
    location: Optional[str]
    entry_point: Any = attrs.field(eq=False, repr=False)
    dist: Any = attrs.field(eq=False, repr=False)
    #: The distribution's parsed METADATA, read once by :func:`scan` and shared by its records
    #: (``importlib.metadata`` parses the file again on every ``dist.metadata`` / ``dist.requires``).
    meta: Any = attrs.field(default=None, eq=False, repr=False)

    @property
    def dist_label(self) -> str:
        if not self.distribution:
            return "an unknown distribution"
        return f"{self.distribution} {self.version}" if self.version else self.distribution

    def requires(self) -> List[str]:
        try:
            if self.meta is not None:
                declared = self.meta.get_all("Requires-Dist")
                if declared:  # else an egg-info distribution: its requires.txt, through dist
                    return list(declared)
            return list(self.dist.requires or []) if self.dist is not None else []
        except Exception:  # unreadable metadata must not break listing
            return []

    def summary(self) -> str:
        try:
            if self.dist is None:
                return ""
            meta = self.meta if self.meta is not None else self.dist.metadata
            return ((meta.get_all("Summary") or [None])[0] or "").strip()
        except Exception:
            return ""


class _CachedHeaders:
    """The ``METADATA`` headers a record uses (``get_all`` / ``[]`` as :class:`email.message.Message`),
    from the plugin index instead of a parse of the file."""

    def __init__(self, headers: Dict[str, List[str]]) -> None:
        self._headers = headers

    def get_all(self, name: str, failobj: Any = None) -> Any:
        return list(self._headers[name]) if self._headers.get(name) else failobj

    def __getitem__(self, name: str) -> Optional[str]:
        values = self._headers.get(name)
        return values[0] if values else None


_HEADERS = ("Name", "Version", "Summary", "Requires-Dist")


def _to_rows(records: Sequence[EntryPointRecord], stamps: Dict[str, List[Any]]) -> Optional[List[Dict[str, Any]]]:
    rows: List[Dict[str, Any]] = []
    for record in records:
        dist_path = getattr(record.dist, "_path", None)
        if dist_path is None or str(dist_path) not in stamps or record.meta is None:
            return None  # not a distribution in a folder: not cached
        rows.append({
            "kind": record.kind, "group": record.group, "name": record.name, "raw_name": record.raw_name,
            "value": record.value, "distribution": record.distribution, "version": record.version,
            "location": record.location, "dist_path": str(dist_path), "meta_stamps": stamps[str(dist_path)],
            "headers": {h: list(record.meta.get_all(h) or []) for h in _HEADERS},
        })
    return rows


def _from_rows(rows: List[Dict[str, Any]]) -> Tuple[EntryPointRecord, ...]:
    dists: Dict[str, Any] = {}
    out: List[EntryPointRecord] = []
    for row in rows:
        path = row["dist_path"]
        if path not in dists:
            dists[path] = importlib.metadata.PathDistribution(pathlib.Path(path))
        dist = dists[path]
        entry_point = importlib.metadata.EntryPoint(name=row["raw_name"], value=row["value"], group=row["group"])
        bind = getattr(entry_point, "_for", None)  # as dist.entry_points gives them: knowing their dist
        entry_point = bind(dist) if bind is not None else entry_point
        out.append(EntryPointRecord(
            kind=row["kind"], group=row["group"], name=row["name"], raw_name=row["raw_name"], value=row["value"],
            distribution=row["distribution"], version=row["version"], location=row["location"],
            entry_point=entry_point, dist=dist, meta=_CachedHeaders(row["headers"]),
        ))
    return tuple(out)


def scan() -> Tuple[EntryPointRecord, ...]:
    """Read every installed distribution's ``toil.*`` entry points. When a distribution is found
    twice on ``sys.path`` the first copy wins, as with :mod:`importlib.metadata`. The result is
    kept in the plugin index (:mod:`toil_core.plugins.index`) and read from there while the
    installed distributions stay as they were."""
    global _last_scan
    _last_scan = _scan_or_index()
    return _last_scan


#: The result of the latest :func:`scan` (discovery memoizes it; the core version reuses it).
_last_scan: Optional[Tuple[EntryPointRecord, ...]] = None


def _scan_or_index() -> Tuple[EntryPointRecord, ...]:
    key = _index.fingerprint()
    if key is not None:
        rows = _index.read(key)
        if rows is not None:
            try:
                return _from_rows(rows)
            except (KeyError, TypeError, ValueError):
                pass
    stamps: Dict[str, List[Any]] = {}
    records = _scan(stamps)
    if key is not None:
        rows = _to_rows(records, stamps)
        # stored only if nothing changed while we read, and no file is too new to trust its time
        if rows is not None and _index.settled(key, rows) and _index.fingerprint() == key:
            _index.write(key, rows)
    return records


def _scan(stamps: Dict[str, List[Any]]) -> Tuple[EntryPointRecord, ...]:
    """The scan itself; ``stamps`` receives each used distribution's metadata times, taken
    before its metadata is read (see :func:`toil_core.plugins.index.meta_stamps`)."""
    groups = {info.group: info.kind for info in KINDS.values()}
    seen: set = set()
    out: List[EntryPointRecord] = []
    for dist in importlib.metadata.distributions():
        try:
            text = dist.read_text("entry_points.txt")
            if not text or "toil." not in text:
                continue
            # The same distribution found twice on sys.path (an editable install also leaves its
            # egg-info in the source tree): the first one wins. The name importlib.metadata takes
            # from the folder's name saves parsing the copies' entry points and METADATA.
            folder_key = getattr(dist, "_normalized_name", None)
            if folder_key and dist_key(folder_key) in seen:
                continue
            eps = [ep for ep in dist.entry_points if ep.group in groups]
            if not eps:
                continue
            dist_path = getattr(dist, "_path", None)
            if dist_path is not None:
                stamps[str(dist_path)] = _index.meta_stamps(str(dist_path))
            meta = dist.metadata  # parsed once here (each dist.metadata parses the file again)
            name = (meta.get_all("Name") or [None])[0]
            key = dist_key(name)
            if key in seen:
                continue
            seen.add(key)
            version = meta["Version"]
            try:
                location = str(dist.locate_file(""))
            except Exception:
                location = None
        except Exception as exc:
            log.warning("Skipping a distribution with unreadable metadata: %s", exc)
            continue
        for ep in eps:
            out.append(EntryPointRecord(
                kind=groups[ep.group], group=ep.group, name=normalize_name(ep.name),
                raw_name=ep.name, value=ep.value, distribution=name, version=version,
                location=location, entry_point=ep, dist=dist, meta=meta,
            ))
    return tuple(out)



def disable_tokens() -> List[str]:
    """The lowercased tokens of ``TOIL_DISABLE_PLUGINS`` (comma or space separated)."""
    raw = os.environ.get(DISABLE_ENV, "")
    return [t.strip().lower() for t in re.split(r"[,\s]+", raw) if t.strip()]


def disabled_by(record: EntryPointRecord) -> Optional[str]:
    """The ``TOIL_DISABLE_PLUGINS`` token that disables ``record``, or None."""
    for token in disable_tokens():
        kind_part, sep, name_part = token.rpartition(":")
        if sep:
            try:
                if kind_info(kind_part).kind != record.kind:
                    continue
            except ValueError:
                continue
            if normalize_name(name_part) == record.name:
                return token
        elif normalize_name(token) == record.name or dist_key(token) == dist_key(record.distribution):
            return token
    return None


def core_version() -> str:
    """The installed toil-core version (tests may monkeypatch this)."""
    return _installed_core_version()


@functools.lru_cache(maxsize=1)
def _installed_core_version() -> str:
    """Read once per process, and every plugin's compatibility check asks. toil-core registers
    entry points of its own (its built-in backends), so the scan of the installed entry points
    (kept in the plugin index) has its version already, as the first copy on ``sys.path``, the
    one :mod:`importlib.metadata` would find by searching every distribution again."""
    core = dist_key(CORE_DISTRIBUTION)
    for record in (_last_scan if _last_scan is not None else scan()):
        if record.distribution and record.version and dist_key(record.distribution) == core:
            return record.version
    try:
        return importlib.metadata.version(CORE_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return __version__


def incompatibility(record: EntryPointRecord) -> Optional[str]:
    """The ``toil-core`` requirement of ``record``'s distribution that the running core does
    not satisfy (as written), or None. Reads metadata only."""
    if dist_key(record.distribution) == dist_key(CORE_DISTRIBUTION):
        return None
    return unsatisfied_core_requirement(record.requires(), CORE_DISTRIBUTION, core_version())
