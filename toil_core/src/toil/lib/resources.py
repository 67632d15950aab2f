"""Compatibility module: upstream name ``toil.lib.resources``; everything lives in toil_core."""
from toil_core.lib.resources import *  # noqa: F401,F403

__all__ = [
    "get_total_cpu_time", "get_total_cpu_time_and_memory_usage", "glob",
]
