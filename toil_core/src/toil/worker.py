"""Compatibility module: upstream name ``toil.worker``; everything lives in toil_core."""
from toil_core.worker.entry import *  # noqa: F401,F403
from toil_core.compat_names import worker_logger as logger  # noqa: F401
from toil_core.compat_names import StatsDict, in_contexts, nextChainable, parse_args  # noqa: F401

__all__ = [
    "StatsDict", "in_contexts", "logger", "main", "nextChainable", "parse_args", "workerScript",
]
