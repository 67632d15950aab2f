"""Compatibility module: upstream name ``toil.toilState``; everything lives in toil_core."""
from toil_core.compat_names import upstream_logger
from toil_core.leader.toil_state import ToilState  # noqa: F401

logger = upstream_logger("toil.toilState")

__all__ = [
    "ToilState", "logger",
]
