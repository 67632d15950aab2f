"""Compatibility module: upstream name ``toil.batchSystems.abstractBatchSystem``; everything lives in toil_core."""
from toil_core.batch.abstract import *  # noqa: F401,F403
from toil_core.batch.resource_pools import ResourcePool, ResourceSet  # noqa: F401
from toil_core.resource import Resource  # noqa: F401  (upstream's module imports it for setUserScript)

__all__ = [
    "AbstractBatchSystem", "AbstractScalableBatchSystem", "AcquisitionTimeoutException",
    "BatchJobExitReason", "BatchSystemSupport", "EXIT_STATUS_UNAVAILABLE_VALUE",
    "InsufficientSystemResources", "NodeInfo", "Resource", "ResourcePool", "ResourceSet",
    "UpdatedBatchJobInfo", "WorkerCleanupInfo", "logger",
]
