"""Compatibility module: upstream name ``toil.utils.toilStats``; everything lives in toil_core."""
from toil_core.compat_names import toil_stats_logger as logger  # noqa: F401
from toil_core.utils.toilStats import *  # noqa: F401,F403

__all__ = [
    "add_stats_options", "category_choices", "getStats", "logger", "main", "prettyMemory", "prettyTime",
    "processData", "reportData", "sortJobs", "sort_category_choices", "sort_field_choices",
]
