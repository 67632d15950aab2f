"""Compatibility module: upstream name ``toil.lib.compatibility``; everything lives in toil_core."""
from toil_core.lib.compatibility import *  # noqa: F401,F403

__all__ = [
    "compat_bytes", "compat_bytes_recursive", "deprecated",
]
