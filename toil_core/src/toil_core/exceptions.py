"""Every exception a workflow author or operator can meet, documented in one place.

Workflow definition (``toil_core.job.errors``)
    JobException
        JobGraphDeadlockException   cycle, several roots, or a new checkpoint that is not a leaf
    JobPromiseConstraintError       a promise handed to a job that does not run after its promisor
    ConflictingPredecessorError     the same predecessor added twice
Running (``toil_core.leader.errors``, ``toil_core.workflow.toil``)
    FailedJobsException             jobs failed completely; the job store is kept for --restart
    DeadlockException               only service jobs have been running for --deadlockWait seconds
    KilledWorkflowException         ``toil kill`` or SIGTERM stopped the leader
    ToilRestartException            start() on a restarted workflow, or restart() on a new one
    ToilContextManagerException     a Toil method called outside ``with Toil(...)``
    InsufficientSystemResources     a job asks for more than the batch system may ever give
Configuration (``toil_core.common.config``)
    OptionError                     a bad option value or contradicting options
Job stores (``toil_core.jobstores.errors``)
    JobStoreExistsException, NoSuchJobStoreException, NoSuchJobException, NoSuchFileException,
    ConcurrentFileModificationException, InvalidImportExportUrlException, CorruptJobError
File stores (``toil_core.filestores.errors``)
    CacheError, CacheUnbalancedError, IllegalDeletionCacheError, InvalidSourceCacheError
Plugins (``toil_core.plugins.errors``)
    PluginError: PluginNotInstalledError, PluginImportError, PluginIncompatibleError,
    PluginConflictError, PluginMisconfiguredError
"""
from toil_core.batch.abstract import AcquisitionTimeoutException, InsufficientSystemResources
from toil_core.common.config import OptionError
from toil_core.filestores.errors import (
    CacheError,
    CacheUnbalancedError,
    IllegalDeletionCacheError,
    InvalidSourceCacheError,
)
from toil_core.job.errors import (
    ConflictingPredecessorError,
    JobException,
    JobGraphDeadlockException,
    JobPromiseConstraintError,
)
from toil_core.jobstores.errors import *  # noqa: F401,F403
from toil_core.leader.errors import DeadlockException, FailedJobsException, KilledWorkflowException
from toil_core.plugins.errors import *  # noqa: F401,F403
from toil_core.workflow.toil import ToilContextManagerException, ToilRestartException

__all__ = [
    "AcquisitionTimeoutException", "InsufficientSystemResources", "OptionError", "ToilContextManagerException",
    "ToilRestartException", "CacheError", "CacheUnbalancedError", "IllegalDeletionCacheError",
    "InvalidSourceCacheError", "ConflictingPredecessorError", "JobException", "JobGraphDeadlockException",
    "JobPromiseConstraintError", "DeadlockException", "FailedJobsException", "KilledWorkflowException",
]
__all__ += [name for name in dir() if name.endswith(("Error", "Exception")) and name not in __all__]
