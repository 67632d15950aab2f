"""Compatibility module: upstream name ``toil.batchSystems.local_support``; everything lives in toil_core."""
from toil_core.compat_names import local_support_logger as logger  # noqa: F401
from toil_core.batch.abstract import BatchSystemLocalSupport  # noqa: F401

__all__ = [
    "BatchSystemLocalSupport", "logger",
]
