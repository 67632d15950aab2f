"""Compatibility module: upstream name ``toil.fileStores.cachingFileStore``; everything lives in toil_core."""
from toil_core.compat_names import SQLITE_TIMEOUT_SECS  # noqa: F401
from toil_core.filestores.caching import *  # noqa: F401,F403
from toil_core.filestores.errors import *  # noqa

__all__ = [
    "CacheError", "CacheUnbalancedError", "CachingFileStore", "IllegalDeletionCacheError",
    "InvalidSourceCacheError", "SQLITE_TIMEOUT_SECS", "logger",
]
