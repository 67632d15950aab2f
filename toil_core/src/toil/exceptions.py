"""Compatibility module: upstream name ``toil.exceptions``; everything lives in toil_core."""
from toil_core.compat_names import exceptions_logger as logger  # noqa: F401
from toil_core.exceptions import *  # noqa: F401,F403

__all__ = [
    "FailedJobsException", "logger",
]
