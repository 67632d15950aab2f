"""Compatibility module: upstream name ``toil.toilState``; everything lives in toil_core."""
from toil_core.compat_names import toil_state_logger as logger  # noqa: F401
from toil_core.leader.toil_state import ToilState  # noqa: F401

__all__ = [
    "ToilState", "logger",
]
