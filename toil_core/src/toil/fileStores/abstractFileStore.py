"""Compatibility module: upstream name ``toil.fileStores.abstractFileStore``; everything lives in toil_core."""
from toil_core.filestores.abstract import *  # noqa: F401,F403

__all__ = [
    "AbstractFileStore", "logger",
]
