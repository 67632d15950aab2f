"""Compatibility module: upstream name ``toil.lib.threading``; everything lives in toil_core."""
from toil_core.lib.threading import *  # noqa: F401,F403
from toil_core.lib.process_names import *  # noqa: F401,F403

__all__ = [
    "ExceptionalThread", "LastProcessStandingArena", "collect_process_name_garbage", "cpu_count",
    "current_process_name_for", "current_process_name_lock", "destroy_all_process_names",
    "get_process_name", "global_mutex", "logger", "process_name_exists",
]
