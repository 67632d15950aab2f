"""Compatibility module: upstream name ``toil.lib.memoize``; everything lives in toil_core."""
from toil_core.lib.memoize import *  # noqa: F401,F403

__all__ = [
    "MAT", "MRT", "memoize", "parse_iso_utc", "strict_bool", "sync_memoize",
]
