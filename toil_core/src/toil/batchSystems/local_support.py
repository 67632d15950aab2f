"""Compatibility module: upstream name ``toil.batchSystems.local_support``; everything lives in toil_core."""
from toil_core.batch.abstract import BatchSystemLocalSupport  # noqa: F401
from toil_core.compat_names import upstream_logger as _upstream_logger

logger = _upstream_logger("toil.batchSystems.local_support")

__all__ = [
    "BatchSystemLocalSupport", "logger",
]
