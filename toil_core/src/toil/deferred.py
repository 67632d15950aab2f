"""Compatibility module: upstream name ``toil.deferred``; everything lives in toil_core."""
from toil_core.filestores.deferred import *  # noqa: F401,F403

__all__ = [
    "DeferredFunction", "DeferredFunctionManager", "logger",
]
