"""A disk cache of the CWL schemas cwltool builds before it can load a document.

cwltool parses the CWL and Salad metaschemas (YAML, with the pure-Python ruamel parser) and builds
their Avro names on every start: several seconds per CWL version, and every run needs two
versions (the document's and v1.0, used for the processes' own validation). That is most of a
small workflow's start-up. The built schema (``cwltool.process.SCHEMA_CACHE[version]``) pickles,
so toil-cwl-runner keeps it in ``$XDG_CACHE_HOME/toil-cwl`` (``~/.cache/toil-cwl``), one file per
CWL version, named after the cwltool and schema-salad versions that built it; a later run loads it
in a fraction of a second. The cache is only an accelerator: a missing, unreadable or stale file is
ignored (and rewritten), custom schemas (``use_custom_schema``) are never cached, and files are
written atomically so concurrent runs never read a partial one. ``TOIL_CWL_SCHEMA_CACHE=0`` turns
it off.
"""
from __future__ import annotations

import copyreg
import logging
import os
import pickle
import tempfile
from importlib import metadata
from typing import Any, Dict, List, Optional

logger = logging.getLogger(__name__)

__all__ = ["cache_dir", "load_cached_schemas", "save_schemas"]

#: The versions cwltool asks for on every load: the current one and v1.0 (see ``Process.__init__``).
COMMON_VERSIONS = ("v1.0", "v1.1", "v1.2")

_LOADED_FROM_DISK: Dict[str, bool] = {}


def _enabled() -> bool:
    return os.environ.get("TOIL_CWL_SCHEMA_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def cache_dir() -> str:
    """Where the schema files are kept."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "toil-cwl")


def _stamp() -> str:
    parts = []
    for dist in ("cwltool", "schema-salad"):
        try:
            parts.append(f"{dist}-{metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{dist}-unknown")
    return "_".join(parts)


def _path(version: str) -> str:
    safe = "".join(c if c.isalnum() or c in ".-" else "_" for c in version)
    return os.path.join(cache_dir(), f"schema-{safe}-{_stamp()}.pickle")


def _reduce_norm_dict(value: Any) -> Any:
    """schema-salad's NormDict sets items through its ``normalize`` function, so it must exist
    before the items are restored (pickle's default restores the items first)."""
    return (type(value), (value.normalize,), None, None, iter(dict(value).items()))


def _register_reducers() -> None:
    from schema_salad.ref_resolver import NormDict

    copyreg.pickle(NormDict, _reduce_norm_dict)


def load_cached_schemas(versions: Optional[List[str]] = None) -> List[str]:
    """Put the cached schemas of ``versions`` into cwltool's in-memory cache; returns the versions
    loaded from disk."""
    if not _enabled():
        return []
    from cwltool import process

    _register_reducers()
    loaded = []
    for version in versions or list(COMMON_VERSIONS):
        if version in process.SCHEMA_CACHE or version in process.custom_schemas:
            continue
        path = _path(version)
        if not os.path.isfile(path):
            continue
        try:
            with open(path, "rb") as stream:
                value = pickle.load(stream)
            if not (isinstance(value, tuple) and len(value) == 4):
                raise ValueError("not a cached schema")
        except Exception as err:  # noqa: BLE001 - a bad cache file is only a lost speed-up
            logger.debug("Ignoring the cached CWL schema %s: %s", path, err)
            continue
        process.SCHEMA_CACHE[version] = value
        _LOADED_FROM_DISK[version] = True
        loaded.append(version)
    return loaded


def save_schemas() -> List[str]:
    """Write every schema cwltool built in this process (and did not get from the disk cache);
    returns the versions written."""
    if not _enabled():
        return []
    from cwltool import process

    _register_reducers()
    written = []
    for version, value in list(process.SCHEMA_CACHE.items()):
        if _LOADED_FROM_DISK.get(version) or version in process.custom_schemas:
            continue
        if not version.startswith("v") or os.path.isfile(_path(version)):
            continue
        try:
            os.makedirs(cache_dir(), exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=cache_dir(), prefix=".schema-", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as stream:
                    pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(temp, _path(version))
            except BaseException:
                os.unlink(temp)
                raise
        except Exception as err:  # noqa: BLE001 - the cache is optional (read-only home, ...)
            logger.debug("Could not cache the CWL schema %s: %s", version, err)
            continue
        _LOADED_FROM_DISK[version] = True
        written.append(version)
    return written
