"""Compatibility module: upstream name ``toil.utils.toilDebugJob``; everything lives in toil_core."""
from toil_core.compat_names import toil_debug_job_logger as logger  # noqa: F401
from toil_core.utils.toilDebugJob import *  # noqa: F401,F403

__all__ = [
    "logger", "main",
]
