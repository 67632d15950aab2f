"""Compatibility module: upstream name ``toil.batchSystems.abstractBatchSystem``; everything lives in toil_core."""
from toil_core.batch.abstract import *  # noqa: F401,F403

__all__ = [
    "AbstractBatchSystem", "AbstractScalableBatchSystem", "AcquisitionTimeoutException",
    "BatchJobExitReason", "BatchSystemSupport", "EXIT_STATUS_UNAVAILABLE_VALUE",
    "InsufficientSystemResources", "NodeInfo", "UpdatedBatchJobInfo", "WorkerCleanupInfo", "logger",
]
