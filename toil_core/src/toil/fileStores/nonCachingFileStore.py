"""Compatibility module: upstream name ``toil.fileStores.nonCachingFileStore``; everything lives in toil_core."""
from toil_core.filestores.noncaching import *  # noqa: F401,F403

__all__ = [
    "NonCachingFileStore", "logger",
]
