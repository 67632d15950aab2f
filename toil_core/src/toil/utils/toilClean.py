"""Compatibility module: upstream name ``toil.utils.toilClean``; everything lives in toil_core."""
from toil_core.compat_names import toil_clean_logger as logger  # noqa: F401
from toil_core.utils.toilClean import *  # noqa: F401,F403

__all__ = [
    "logger", "main",
]
