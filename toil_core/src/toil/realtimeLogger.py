"""Compatibility module: upstream name ``toil.realtimeLogger``; everything lives in toil_core."""
from toil_core.realtime_logger import *  # noqa: F401,F403

__all__ = [
    "JSONDatagramHandler", "LoggingDatagramHandler", "RealtimeLogger", "RealtimeLoggerMetaclass", "logger",
]
