"""Compatibility module: upstream name ``toil.utils.toilStats``; everything lives in toil_core."""
from toil_core.compat_names import toil_stats_logger as logger  # noqa: F401
from toil_core.utils.toilStats import *  # noqa: F401,F403

__all__ = [
    "ColumnWidths", "add_stats_options", "buildElement", "category_choices", "computeColumnWidths",
    "createSummary", "decorateSubHeader", "decorateTitle", "get", "getStats", "logger", "main", "padStr",
    "prettyMemory", "prettyTime", "processData", "reportData", "reportMemory", "reportNumber",
    "reportPrettyData", "reportTime", "sortJobs", "sort_category_choices", "sort_field_choices",
    "sprintTag", "updateColumnWidths",
]
