"""Compatibility module: upstream name ``toil.batchSystems.cleanup_support``; everything lives in toil_core."""
from toil_core.compat_names import cleanup_support_logger as logger  # noqa: F401
from toil_core.batch.abstract import BatchSystemCleanupSupport, WorkerCleanupContext  # noqa: F401

__all__ = [
    "BatchSystemCleanupSupport", "WorkerCleanupContext", "logger",
]
