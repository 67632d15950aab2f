"""Compatibility module: upstream name ``toil.batchSystems.cleanup_support``; everything lives in toil_core."""
from toil_core.batch.abstract import BatchSystemCleanupSupport, WorkerCleanupContext  # noqa: F401
from toil_core.compat_names import upstream_logger as _upstream_logger

logger = _upstream_logger("toil.batchSystems.cleanup_support")

__all__ = [
    "BatchSystemCleanupSupport", "WorkerCleanupContext", "logger",
]
