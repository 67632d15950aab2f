"""The public API for plugin authors: the one module a backend imports from toil-core.

Backends (toil-hpc, toil-cwl, toil-aws, ..., and third-party plugins) import these names from
here and nowhere else in ``toil_core`` (an import-linter contract in the root pyproject.toml
checks the first-party ones); :mod:`toil_core.testing` holds the contract suites for their
tests. Users' workflow scripts use the ``toil.*`` modules instead.

What is here, by the kind of plugin that needs it:

==========================  ===============================================================
everyone                    spec records (:class:`BatchSystemSpec` ...), :data:`hookimpl`,
                            :func:`setting` / :func:`settings_from` for options, plugin errors,
                            :class:`ToilError` (the root a backend's own errors derive from)
batch systems               :class:`AbstractBatchSystem`, :class:`BatchSystemSupport`,
                            :class:`BatchSystemCleanupSupport`, :class:`BatchSystemLocalSupport`,
                            :class:`LocalSubprocessBatchSystem` (jobs as local subprocesses),
                            :class:`SubmitAndPollBatchSystem` (jobs submitted to an external
                            scheduler that is polled; :class:`SubmittedJob`,
                            :class:`SchedulerJobStatus`, :data:`JOB_PENDING`,
                            :data:`JOB_RUNNING`, :data:`JOB_DONE`, :func:`exit_reason_for`),
                            :class:`AbstractScalableBatchSystem`, :class:`NodeInfo`,
                            :class:`BatchJobExitReason`, :class:`UpdatedBatchJobInfo`,
                            :class:`WorkerInvocation` (runs :data:`WORKER_COMMAND`),
                            :data:`EXIT_STATUS_UNAVAILABLE_VALUE`, :class:`WorkerCleanupInfo`,
                            :class:`InsufficientSystemResources`, :class:`ExternalBatchIdMessage`
job stores                  :class:`AbstractJobStore` and its errors (:class:`JobStoreError`
                            is their base), :class:`JobDescription` (jobs are stored with
                            its ``to_bytes`` / ``from_bytes``), :class:`FileID`,
                            :func:`attempt_owner` / :func:`is_attempt_owner` (the IDs that
                            own the files of attempts at a job and never name a job)
object-store job stores     :class:`ObjectSealer` (``--clientSideEncryption``: sealed objects,
                            the clear key record, :class:`EncryptionKeyError`,
                            :class:`TamperedFileError`); :func:`acquire_lease` with a
                            :class:`LeaseBackend` (a leader lock from conditional writes,
                            :class:`JobStoreInUseError` while a live leader holds it);
                            :func:`download_atomically` (``read_file`` through a temporary file);
                            :class:`ObjectJobStore` (base: parallel ``load_jobs``,
                            :class:`LogPoll`, :func:`attempt_job_of`)
file stores                 :class:`AbstractFileStore`
URL access                  :class:`AbstractURLAccess`
provisioners                :class:`AbstractProvisioner`, :class:`Shape`, :class:`Node`,
                            :class:`NoSuchClusterException`,
                            :class:`ClusterTypeNotSupportedException`,
                            :class:`ManagedNodesNotSupportedException`,
                            :func:`applianceSelf` (the appliance image the nodes run)
workflow runners            :func:`add_options`, :func:`add_argument_if_absent`, :class:`Config`
==========================  ===============================================================

Importing this module is cheap: each name is imported from its home module on first use, so a
plugin's spec module (imported during discovery) pays only for what it names.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Dict, List

if TYPE_CHECKING:  # the real imports, for type checkers and readers
    from toil_core.batch.abstract import (
        EXIT_STATUS_UNAVAILABLE_VALUE,
        AbstractBatchSystem,
        AbstractScalableBatchSystem,
        BatchJobExitReason,
        BatchSystemCleanupSupport,
        BatchSystemLocalSupport,
        BatchSystemSupport,
        InsufficientSystemResources,
        NodeInfo,
        UpdatedBatchJobInfo,
        WorkerCleanupInfo,
    )
    from toil_core.batch.invocation import WORKER_COMMAND, WorkerInvocation
    from toil_core.batch.local_subprocess import LocalSubprocessBatchSystem
    from toil_core.batch.submit_poll import (
        JOB_DONE,
        JOB_PENDING,
        JOB_RUNNING,
        SchedulerJobStatus,
        SubmitAndPollBatchSystem,
        SubmittedJob,
        exit_reason_for,
    )
    from toil_core.bus import ExternalBatchIdMessage
    from toil_core.common.config import Config
    from toil_core.compat_toplevel import applianceSelf
    from toil_core.filestores.abstract import AbstractFileStore
    from toil_core.filestores.file_id import FileID
    from toil_core.job.attempt_files import attempt_owner, is_attempt_owner
    from toil_core.job.description import JobDescription
    from toil_core.jobstores.abstract import AbstractJobStore
    from toil_core.jobstores.errors import (
        ConcurrentFileModificationException,
        CorruptJobError,
        JobStoreError,
        JobStoreInUseError,
        JobStoreExistsException,
        NoSuchFileException,
        NoSuchJobException,
        NoSuchJobStoreException,
    )
    from toil_core.jobstores.encryption import EncryptionKeyError, TamperedFileError
    from toil_core.jobstores.lease_lock import LeaseBackend, acquire_lease
    from toil_core.jobstores.local_files import download_atomically
    from toil_core.jobstores.object_job_store import LogPoll, ObjectJobStore, attempt_job_of
    from toil_core.jobstores.sealed_objects import ObjectSealer
    from toil_core.jobstores.url_access import AbstractURLAccess
    from toil_core.lib.errors import ToilError
    from toil_core.plugins.errors import PluginError
    from toil_core.plugins.hookspecs import hookimpl
    from toil_core.plugins.settings import setting, settings_from
    from toil_core.plugins.specs import (
        BatchSystemSpec,
        JobStoreSpec,
        ProvisionerSpec,
        SubcommandSpec,
        URLAccessSpec,
    )
    from toil_core.provisioners import (
        ClusterTypeNotSupportedException,
        ManagedNodesNotSupportedException,
        NoSuchClusterException,
    )
    from toil_core.provisioners.abstract import AbstractProvisioner, Shape
    from toil_core.provisioners.node import Node
    from toil_core.workflow.options import add_argument_if_absent, add_options

#: Public name -> the module that defines it.
_HOMES: Dict[str, str] = {
    # plugin registration
    "BatchSystemSpec": "toil_core.plugins.specs",
    "JobStoreSpec": "toil_core.plugins.specs",
    "ProvisionerSpec": "toil_core.plugins.specs",
    "SubcommandSpec": "toil_core.plugins.specs",
    "URLAccessSpec": "toil_core.plugins.specs",
    "hookimpl": "toil_core.plugins.hookspecs",
    "setting": "toil_core.plugins.settings",
    "settings_from": "toil_core.plugins.settings",
    "PluginError": "toil_core.plugins.errors",
    "ToilError": "toil_core.lib.errors",
    # batch systems
    "AbstractBatchSystem": "toil_core.batch.abstract",
    "AbstractScalableBatchSystem": "toil_core.batch.abstract",
    "BatchJobExitReason": "toil_core.batch.abstract",
    "BatchSystemCleanupSupport": "toil_core.batch.abstract",
    "BatchSystemLocalSupport": "toil_core.batch.abstract",
    "BatchSystemSupport": "toil_core.batch.abstract",
    "EXIT_STATUS_UNAVAILABLE_VALUE": "toil_core.batch.abstract",
    "InsufficientSystemResources": "toil_core.batch.abstract",
    "NodeInfo": "toil_core.batch.abstract",
    "UpdatedBatchJobInfo": "toil_core.batch.abstract",
    "WorkerCleanupInfo": "toil_core.batch.abstract",
    "WORKER_COMMAND": "toil_core.batch.invocation",
    "WorkerInvocation": "toil_core.batch.invocation",
    "LocalSubprocessBatchSystem": "toil_core.batch.local_subprocess",
    "SubmitAndPollBatchSystem": "toil_core.batch.submit_poll",
    "SubmittedJob": "toil_core.batch.submit_poll",
    "SchedulerJobStatus": "toil_core.batch.submit_poll",
    "JOB_PENDING": "toil_core.batch.submit_poll",
    "JOB_RUNNING": "toil_core.batch.submit_poll",
    "JOB_DONE": "toil_core.batch.submit_poll",
    "exit_reason_for": "toil_core.batch.submit_poll",
    "ExternalBatchIdMessage": "toil_core.bus",
    # job stores, file stores, URL access
    "AbstractJobStore": "toil_core.jobstores.abstract",
    "ConcurrentFileModificationException": "toil_core.jobstores.errors",
    "CorruptJobError": "toil_core.jobstores.errors",
    "JobDescription": "toil_core.job.description",
    "JobStoreError": "toil_core.jobstores.errors",
    "JobStoreExistsException": "toil_core.jobstores.errors",
    "JobStoreInUseError": "toil_core.jobstores.errors",
    "EncryptionKeyError": "toil_core.jobstores.encryption",
    "TamperedFileError": "toil_core.jobstores.encryption",
    "ObjectSealer": "toil_core.jobstores.sealed_objects",
    "LeaseBackend": "toil_core.jobstores.lease_lock",
    "acquire_lease": "toil_core.jobstores.lease_lock",
    "download_atomically": "toil_core.jobstores.local_files",
    "ObjectJobStore": "toil_core.jobstores.object_job_store",
    "LogPoll": "toil_core.jobstores.object_job_store",
    "attempt_job_of": "toil_core.jobstores.object_job_store",
    "NoSuchFileException": "toil_core.jobstores.errors",
    "NoSuchJobException": "toil_core.jobstores.errors",
    "NoSuchJobStoreException": "toil_core.jobstores.errors",
    "AbstractFileStore": "toil_core.filestores.abstract",
    "FileID": "toil_core.filestores.file_id",
    "AbstractURLAccess": "toil_core.jobstores.url_access",
    "attempt_owner": "toil_core.job.attempt_files",
    "is_attempt_owner": "toil_core.job.attempt_files",
    # provisioners
    "AbstractProvisioner": "toil_core.provisioners.abstract",
    "Shape": "toil_core.provisioners.abstract",
    "Node": "toil_core.provisioners.node",
    "NoSuchClusterException": "toil_core.provisioners",
    "ClusterTypeNotSupportedException": "toil_core.provisioners",
    "ManagedNodesNotSupportedException": "toil_core.provisioners",
    "applianceSelf": "toil_core.compat_toplevel",
    # workflow runners (toil-cwl, toil-wdl)
    "Config": "toil_core.common.config",
    "add_argument_if_absent": "toil_core.workflow.options",
    "add_options": "toil_core.workflow.options",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(__all__))
