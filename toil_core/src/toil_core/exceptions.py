"""Every exception toil-core raises, in one tree (a test holds this drawing to the code).

Each class keeps its upstream Toil name and the builtin bases upstream gives it, written
``(also ...)`` below, so ``except RuntimeError`` in an unchanged script catches what it did upstream;
``except ToilError`` catches every error of Toil's own. Backends derive their errors from
``ToilError`` too (``toil_core.plugin_api.ToilError``). The kill is the one ``SystemExit``: user code's
``except Exception`` must not swallow it.

::

    ToilBaseException                                 root of everything the project raises
    ├── ToilError                                     root of the ordinary errors (an Exception)
    │   ├── JobException                              a job or job graph used wrongly
    │   │   ├── JobGraphDeadlockException             cycle, several roots, non-leaf new checkpoint
    │   │   └── UnpicklableJobError (also TypeError)  a job or its arguments cannot be pickled
    │   ├── JobPromiseConstraintError (also RuntimeError)  promise to a job not after its promisor
    │   ├── ConflictingPredecessorError               the same predecessor added twice
    │   ├── FailedJobsException                       jobs failed; the job store is kept for --restart
    │   ├── DeadlockException                         only services ran for --deadlockWait seconds
    │   ├── ToilRestartException                      start() on a restart, restart() on a new run
    │   ├── ToilContextManagerException               a Toil method outside ``with Toil(...)``
    │   ├── InsufficientSystemResources               a job asks more than the batch system has
    │   ├── AcquisitionTimeoutException               a resource pool was not free in time
    │   ├── OptionError (also ValueError, RuntimeError)  a bad or contradicting option value
    │   ├── JobStoreError                             base of the job store errors
    │   │   ├── JobStoreExistsException               initialize() on an existing store
    │   │   │   └── NotAJobStoreError                 ... on a path that is no job store
    │   │   ├── NoSuchJobStoreException               resume() on a missing store
    │   │   ├── NoSuchJobException                    a job that is not stored
    │   │   ├── NoSuchFileException                   a file that is not stored
    │   │   ├── ConcurrentFileModificationException   a file changed under an update
    │   │   ├── InvalidImportExportUrlException       a malformed import/export URL
    │   │   ├── CorruptJobError                       an unreadable stored job description
    │   │   ├── CorruptJobStoreError                  another unreadable stored file
    │   │   ├── JobStoreInUseError                    another leader runs in this store
    │   │   ├── UntrustedJobStoreError                a store owned by another user
    │   │   ├── JobStoreLocationError                 the store's path cannot be used
    │   │   ├── EncryptionKeyError                    an encrypted store's key is missing or wrong
    │   │   ├── TamperedFileError                     an encrypted object failed authentication
    │   │   └── JobStoreFullError (also OSError)      no space left while writing
    │   ├── UnknownJobStoreError (also RuntimeError)  a locator naming no known job store
    │   ├── InvalidJobStoreLocatorError (also RuntimeError)  a locator that is not scheme:rest
    │   ├── CacheError                                base of the caching file store errors
    │   │   ├── CacheUnbalancedError                  the cache's accounting went wrong
    │   │   ├── IllegalDeletionCacheError             a file deleted behind the cache's back
    │   │   └── InvalidSourceCacheError               a bad source for a cached write
    │   ├── ResourceException                         the user module cannot be deployed
    │   │   └── InvalidUserScriptName                 a user module with an unusable name
    │   ├── UnguardedScriptError (also RuntimeError)  a script with no ``__main__`` guard
    │   ├── NoSuchClusterException                    a cluster that does not exist
    │   ├── ClusterTypeNotSupportedException          a provisioner without that cluster type
    │   ├── ClusterCombinationNotSupportedException   ... or that type and architecture
    │   ├── ManagedNodesNotSupportedException (also RuntimeError)  no managed nodes here
    │   ├── ApplianceImageNotFound                    TOIL_APPLIANCE_SELF names no image
    │   ├── ContainerError (also CalledProcessError)  a container command failed
    │   ├── MissingCryptographyError (also ImportError)  encryption asked for, cryptography absent
    │   ├── DecryptionError (also ValueError)        encrypted bytes failed authentication
    │   ├── PluginError (also RuntimeError)           base of the plugin errors
    │   │   ├── PluginNotInstalledError               no installed plugin of that name
    │   │   │   └── PluginDisabledError               ... switched off by TOIL_DISABLE_PLUGINS
    │   │   ├── PluginImportError                     the plugin failed to import
    │   │   ├── PluginIncompatibleError               the plugin needs another toil-core
    │   │   ├── PluginConflictError                   two plugins claim one name
    │   │   └── PluginMisconfiguredError              a plugin declares itself wrongly
    │   ├── ScaffoldError (also ValueError)           ``toil plugins new`` cannot use a name
    │   ├── CommandError                              a ``toil`` subcommand cannot do its work
    │   ├── ChartError                                ``toil stats --chart`` cannot draw
    │   └── DotRenderError                            ``toil status --dotFile`` cannot render
    ├── ProxyConnectionError                          a proxy to a job store's service is unreachable
    └── KilledWorkflowException (also SystemExit)     ``toil kill`` or SIGTERM stopped the leader

The classes of the last lines (``CommandError`` ... ``ApplianceImageNotFound``) live above this
module's layer (the CLI and the top-level ``toil`` names), so they are not re-exported here. Besides
the kill, ``ProxyConnectionError`` is the other one that is not an ``Exception``, as upstream has it.
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
    UnpicklableJobError,
)
from toil_core.jobstores.errors import *  # noqa: F401,F403
from toil_core.leader.errors import DeadlockException, FailedJobsException, KilledWorkflowException
from toil_core.lib.container_cli import ContainerError
from toil_core.lib.errors import ToilBaseException, ToilError
from toil_core.plugins.errors import *  # noqa: F401,F403
from toil_core.provisioners import (
    ClusterCombinationNotSupportedException,
    ClusterTypeNotSupportedException,
    ManagedNodesNotSupportedException,
    NoSuchClusterException,
)
from toil_core.resource import InvalidUserScriptName, ResourceException
from toil_core.workflow.toil import ToilContextManagerException, ToilRestartException

__all__ = [
    "AcquisitionTimeoutException", "InsufficientSystemResources", "OptionError", "ToilContextManagerException",
    "ToilRestartException", "CacheError", "CacheUnbalancedError", "IllegalDeletionCacheError",
    "InvalidSourceCacheError", "ConflictingPredecessorError", "JobException", "JobGraphDeadlockException",
    "JobPromiseConstraintError", "UnpicklableJobError", "DeadlockException", "FailedJobsException", "KilledWorkflowException",
    "ToilBaseException", "ToilError", "ContainerError", "ClusterCombinationNotSupportedException",
    "ClusterTypeNotSupportedException", "ManagedNodesNotSupportedException", "NoSuchClusterException",
    "InvalidUserScriptName", "ResourceException",
]
__all__ += [name for name in dir() if name.endswith(("Error", "Exception")) and name not in __all__]
