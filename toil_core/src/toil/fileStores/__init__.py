"""Compatibility module: upstream name ``toil.fileStores``; everything lives in toil_core."""
from toil_core.filestores import *  # noqa: F401,F403

__all__ = [
    "FileID",
]
