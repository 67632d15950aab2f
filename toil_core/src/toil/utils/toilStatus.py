"""Compatibility module: upstream name ``toil.utils.toilStatus``; everything lives in toil_core."""
from toil_core.compat_names import toil_status_logger as logger  # noqa: F401
from toil_core.utils.toilStatus import *  # noqa: F401,F403

__all__ = [
    "ToilStatus", "logger", "main",
]
