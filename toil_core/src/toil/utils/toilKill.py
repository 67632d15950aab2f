"""Compatibility module: upstream name ``toil.utils.toilKill``; everything lives in toil_core."""
from toil_core.compat_names import toil_kill_logger as logger  # noqa: F401
from toil_core.utils.toilKill import *  # noqa: F401,F403

__all__ = [
    "logger", "main",
]
