"""Compatibility module: upstream name ``toil.statsAndLogging``; everything lives in toil_core."""
from toil_core.compat_names import stats_and_logging_logger as logger  # noqa: F401
from toil_core.leader.stats_and_logging import StatsAndLogging  # noqa: F401
from toil_core.workflow.logging_setup import (  # noqa: F401
    DEFAULT_LOGLEVEL,
    add_logging_options,
    configure_root_logger,
    install_log_color,
    log_to_file,
    root_logger,
    set_log_level,
    set_logging_from_options,
    suppress_exotic_logging,
    toil_logger,
)

# install_log_color (a later upstream name, not in the 5.10 manual's table) is importable by name
# but not in __all__, which lists the upstream 5.10 names.
__all__ = [
    "DEFAULT_LOGLEVEL", "StatsAndLogging", "add_logging_options", "configure_root_logger", "log_to_file",
    "logger", "root_logger", "set_log_level", "set_logging_from_options", "suppress_exotic_logging",
    "toil_logger",
]
