"""Compatibility module: upstream name ``toil.lib.throttle``; everything lives in toil_core."""
from toil_core.lib.throttle import *  # noqa: F401,F403

__all__ = [
    "LocalThrottle", "throttle",
]
