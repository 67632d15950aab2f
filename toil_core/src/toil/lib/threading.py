"""Compatibility module: upstream name ``toil.lib.threading``; everything lives in toil_core."""
from toil_core.lib.threading import *  # noqa: F401,F403

__all__ = [
    "ExceptionalThread", "LastProcessStandingArena", "cpu_count", "global_mutex", "logger",
]
