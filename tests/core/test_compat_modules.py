"""The ``toil`` compatibility package: upstream module paths import and expose upstream names."""
import importlib

import pytest

#: module -> names an unchanged Toil 5.10 script (or plugin) may import from it.
EXPECTED = {
    "toil": ["DeadlockException", "which", "physicalMemory", "physicalDisk", "applianceSelf",
             "inVirtualEnv", "resolveEntryPoint", "lookupEnvVar"],
    "toil.job": ["Job", "PromisedRequirement", "Promise", "JobException", "JobGraphDeadlockException",
                 "JobPromiseConstraintError", "ConflictingPredecessorError", "FunctionWrappingJob",
                 "JobFunctionWrappingJob", "EncapsulatedJob", "ServiceHostJob",
                 "PromisedRequirementFunctionWrappingJob", "PromisedRequirementJobFunctionWrappingJob",
                 "JobDescription", "TemporaryID", "Requirer", "RequirementsDict", "AcceleratorRequirement",
                 "parse_accelerator", "accelerator_satisfies", "accelerators_fully_satisfy",
                 "unwrap", "unwrap_all", "Promised"],
    "toil.common": ["Toil", "Config", "ToilRestartException", "ToilContextManagerException", "addOptions",
                    "parser_with_common_options", "parseBool", "parseSetEnv", "parse_accelerator_list",
                    "getNodeID", "cacheDirName", "getDirSizeRecursively", "getFileSystemSize", "iC", "fC"],
    "toil.fileStores": ["FileID"],
    "toil.fileStores.abstractFileStore": ["AbstractFileStore"],
    "toil.fileStores.cachingFileStore": ["CachingFileStore", "CacheError", "CacheUnbalancedError",
                                         "IllegalDeletionCacheError", "InvalidSourceCacheError"],
    "toil.fileStores.nonCachingFileStore": ["NonCachingFileStore"],
    "toil.lib.docker": ["apiDockerCall", "dockerCall", "dockerCheckOutput", "subprocessDockerCall",
                        "dockerKill", "dockerStop", "containerIsRunning", "getContainerName",
                        "FORGO", "STOP", "RM"],
    "toil.realtimeLogger": ["RealtimeLogger"],
    "toil.exceptions": ["FailedJobsException"],
    "toil.lib.retry": ["retry", "ErrorCondition"],
    "toil.lib.conversions": ["human2bytes", "bytes2human", "convert_units", "parse_memory_string",
                             "b_to_mib", "mib_to_b", "hms_duration_to_seconds"],
    "toil.jobStores.abstractJobStore": ["AbstractJobStore", "JobStoreExistsException", "NoSuchJobStoreException",
                                        "NoSuchFileException", "NoSuchJobException",
                                        "ConcurrentFileModificationException", "InvalidImportExportUrlException"],
    "toil.jobStores.fileJobStore": ["FileJobStore"],
    "toil.batchSystems": ["DeadlockException"],
    "toil.batchSystems.abstractBatchSystem": ["AbstractBatchSystem", "BatchJobExitReason", "UpdatedBatchJobInfo",
                                              "InsufficientSystemResources", "AcquisitionTimeoutException",
                                              "BatchSystemSupport", "BatchSystemLocalSupport",
                                              "BatchSystemCleanupSupport", "AbstractScalableBatchSystem",
                                              "NodeInfo", "WorkerCleanupInfo", "EXIT_STATUS_UNAVAILABLE_VALUE"],
    "toil.batchSystems.registry": ["addBatchSystemFactory"],
    "toil.batchSystems.singleMachine": ["SingleMachineBatchSystem"],
    "toil.leader": ["FailedJobsException"],
    "toil.version": ["baseVersion", "version", "dockerTag", "dockerRegistry", "dockerName", "cwltool_version"],
    "toil.resource": ["Resource", "FileResource", "DirectoryResource", "VirtualEnvResource",
                      "ModuleDescriptor", "ResourceException"],
    "toil.deferred": ["DeferredFunction", "DeferredFunctionManager"],
    "toil.worker": ["workerScript"],
    "toil.lib.memoize": ["memoize"],
    "toil.lib.throttle": ["LocalThrottle", "throttle"],
    "toil.lib.threading": ["ExceptionalThread", "LastProcessStandingArena", "global_mutex", "cpu_count"],
    "toil.lib.io": ["WriteWatchingStream", "robust_rmtree", "AtomicFileCreate", "atomic_copy", "make_public_dir"],
    "toil.lib.resources": ["get_total_cpu_time", "get_total_cpu_time_and_memory_usage", "glob"],
    "toil.lib.expando": ["Expando", "MagicExpando"],
    "toil.lib.accelerators": ["have_working_nvidia_smi", "have_working_nvidia_docker_runtime", "count_nvidia_gpus",
                              "get_individual_local_accelerators",
                              "get_restrictive_environment_for_local_accelerators"],
}

#: Upstream names of older or rarely used helpers.
KNOWN_GAPS = {
    "toil.lib.bioio": ["system", "getTempFile"],
    "toil.lib.compatibility": [],
    "toil": ["ApplianceImageNotFound"],
}


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_module_imports(module_name):
    importlib.import_module(module_name)


@pytest.mark.parametrize(
    "module_name, name",
    [(module, name) for module, names in sorted(EXPECTED.items()) for name in names],
)
def test_module_exposes_name(module_name, name):
    module = importlib.import_module(module_name)
    assert hasattr(module, name), f"{module_name} lacks {name}"


@pytest.mark.parametrize("module_name", sorted(KNOWN_GAPS))
def test_known_gap_modules(module_name):
    module = importlib.import_module(module_name)
    for name in KNOWN_GAPS[module_name]:
        assert hasattr(module, name)


def test_job_runner_and_service_are_nested_classes():
    from toil.job import Job

    assert isinstance(Job.Runner, type)
    assert isinstance(Job.Service, type)
    for method in ("getDefaultArgumentParser", "getDefaultOptions", "addToilOptions", "startToil"):
        assert callable(getattr(Job.Runner, method))


def test_same_objects_as_toil_core():
    import toil.common
    import toil.job
    import toil_core.workflow.toil
    import toil_core.job

    assert toil.job.Job is toil_core.job.Job
    assert toil.common.Toil is toil_core.workflow.toil.Toil


def test_failed_jobs_exception_is_the_same_class_everywhere():
    from toil.exceptions import FailedJobsException as a
    from toil.leader import FailedJobsException as b

    assert a is b


def test_deadlock_exception_is_the_same_class_everywhere():
    import toil
    import toil.batchSystems

    assert toil.DeadlockException is toil.batchSystems.DeadlockException


def test_file_id_behaviour():
    from toil.fileStores import FileID

    file_id = FileID("some-id", 12, executable=True)
    assert isinstance(file_id, str) and file_id == "some-id"
    assert file_id.size == 12 and file_id.executable
    assert FileID.unpack(file_id.pack()) == file_id
    assert FileID.unpack(file_id.pack()).size == 12


def test_human2bytes_and_bytes2human():
    from toil.lib.conversions import bytes2human, human2bytes

    assert human2bytes("1024 Mib") == 1024**3
    assert human2bytes("2G") == 2 * 1000**3
    assert isinstance(bytes2human(1024**3), str)


def test_batch_job_exit_reason_values():
    from toil.batchSystems.abstractBatchSystem import BatchJobExitReason

    assert [(r.name, int(r)) for r in BatchJobExitReason] == [
        ("FINISHED", 1), ("FAILED", 2), ("LOST", 3), ("KILLED", 4), ("ERROR", 5), ("MEMLIMIT", 6)]


def test_job_store_exception_messages():
    from toil.jobStores.abstractJobStore import (
        ConcurrentFileModificationException,
        InvalidImportExportUrlException,
        NoSuchJobException,
        NoSuchJobStoreException,
    )

    assert "The job 'abc' does not exist." in str(NoSuchJobException("abc"))
    assert "does not exist, so there is nothing to restart" in str(NoSuchJobStoreException("/x"))
    assert "Concurrent update to file f detected." in str(ConcurrentFileModificationException("f"))
    assert "The URL 'u' is invalid." in str(InvalidImportExportUrlException("u"))


def test_toil_exception_messages():
    from toil.common import ToilContextManagerException, ToilRestartException

    assert str(ToilContextManagerException()) == (
        'This method cannot be called outside the "with Toil(...)" context manager.')
    assert str(ToilRestartException("m")) == "m"


def test_job_exception_hierarchy():
    from toil.job import JobException, JobGraphDeadlockException, JobPromiseConstraintError

    assert issubclass(JobGraphDeadlockException, JobException)
    assert issubclass(JobPromiseConstraintError, RuntimeError)


def test_registry_knows_single_machine():
    from toil.batchSystems.registry import get_batch_system
    from toil.batchSystems.singleMachine import SingleMachineBatchSystem

    assert get_batch_system("single_machine") is SingleMachineBatchSystem
