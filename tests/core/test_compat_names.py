"""Names that exist in both camelCase and snake_case in Toil 5.10 (FEATURES 1.9)."""
import inspect

import pytest

from toil.batchSystems.abstractBatchSystem import AbstractBatchSystem
from toil.common import Toil
from toil.fileStores.abstractFileStore import AbstractFileStore
from toil.job import Job
from toil.jobStores.abstractJobStore import AbstractJobStore

JOB_STORE_PAIRS = [
    ("writeConfig", "write_config"), ("setRootJob", "set_root_job"), ("loadRootJob", "load_root_job"),
    ("createRootJob", "create_root_job"), ("getRootJobReturnValue", "get_root_job_return_value"),
    ("importFile", "import_file"), ("exportFile", "export_file"), ("getSize", "get_size"),
    ("getEnv", "get_env"), ("assignID", "assign_job_id"), ("create", "create_job"), ("exists", "job_exists"),
    ("getPublicUrl", "get_public_url"), ("getSharedPublicUrl", "get_shared_public_url"), ("load", "load_job"),
    ("update", "update_job"), ("delete", "delete_job"), ("writeFile", "write_file"),
    ("writeFileStream", "write_file_stream"), ("getEmptyFileStoreID", "get_empty_file_store_id"),
    ("readFile", "read_file"), ("readFileStream", "read_file_stream"), ("deleteFile", "delete_file"),
    ("fileExists", "file_exists"), ("getFileSize", "get_file_size"), ("updateFile", "update_file"),
    ("updateFileStream", "update_file_stream"), ("writeSharedFileStream", "write_shared_file_stream"),
    ("readSharedFileStream", "read_shared_file_stream"), ("writeStatsAndLogging", "write_logs"),
    ("readStatsAndLogging", "read_logs"),
]

JOB_STORE_SNAKE_ONLY = ["write_leader_pid", "read_leader_pid", "write_leader_node_id", "read_leader_node_id",
                        "write_kill_flag", "read_kill_flag", "default_caching", "list_url", "get_is_directory",
                        "read_from_url", "initialize", "resume", "destroy", "jobs", "batch"]

FILE_STORE_CAMEL = ["writeGlobalFile", "readGlobalFile", "writeGlobalFileStream", "readGlobalFileStream",
                    "deleteGlobalFile", "deleteLocalFile", "logToMaster", "getLocalTempDir", "getLocalTempFile",
                    "getLocalTempFileName", "getGlobalFileSize"]


def parameters(function):
    return list(inspect.signature(function).parameters)[1:]


@pytest.mark.parametrize("camel, snake", JOB_STORE_PAIRS)
def test_job_store_has_both_spellings(camel, snake):
    assert callable(getattr(AbstractJobStore, camel))
    assert callable(getattr(AbstractJobStore, snake))


@pytest.mark.parametrize("name", JOB_STORE_SNAKE_ONLY)
def test_job_store_snake_case_methods(name):
    assert callable(getattr(AbstractJobStore, name))


def test_job_store_import_export_keyword_names():
    assert parameters(AbstractJobStore.import_file)[:2] == ["src_uri", "shared_file_name"]
    assert parameters(AbstractJobStore.importFile)[:2] == ["srcUrl", "sharedFileName"]
    assert parameters(AbstractJobStore.export_file) == ["file_id", "dst_uri"]
    assert parameters(AbstractJobStore.exportFile) == ["jobStoreFileID", "dstUrl"]


@pytest.mark.parametrize("camel, snake", [("importFile", "import_file"), ("exportFile", "export_file")])
def test_toil_has_both_spellings(camel, snake):
    assert callable(getattr(Toil, camel)) and callable(getattr(Toil, snake))


def test_toil_import_export_keyword_names():
    assert parameters(Toil.import_file)[:2] == ["src_uri", "shared_file_name"]
    assert parameters(Toil.importFile)[:2] == ["srcUrl", "sharedFileName"]
    assert parameters(Toil.export_file) == ["file_id", "dst_uri"]
    assert parameters(Toil.exportFile) == ["jobStoreFileID", "dstUrl"]
    assert "symlink" in parameters(Toil.importFile)


@pytest.mark.parametrize("name", ["getJobStore", "parseLocator", "buildLocator", "resumeJobStore",
                                  "createBatchSystem", "normalize_uri", "getToilWorkDir", "getLocalWorkflowDir",
                                  "get_toil_coordination_dir", "get_local_workflow_coordination_dir",
                                  "writePIDFile", "start", "restart"])
def test_toil_helpers_exist(name):
    assert callable(getattr(Toil, name))


def test_toil_normalize_uri():
    assert Toil.normalize_uri("/a/b") == "file:///a/b"
    assert Toil.normalize_uri("s3://bucket/key") == "s3://bucket/key"


@pytest.mark.parametrize("camel, snake", [("importFile", "import_file"), ("exportFile", "export_file")])
def test_file_store_has_both_spellings(camel, snake):
    assert callable(getattr(AbstractFileStore, camel)) and callable(getattr(AbstractFileStore, snake))


@pytest.mark.parametrize("name", FILE_STORE_CAMEL)
def test_file_store_camel_case_api(name):
    assert callable(getattr(AbstractFileStore, name))


def test_job_preemptable_and_preemptible():
    job = Job(preemptible=True)
    assert job.preemptable is True and job.preemptible is True


def test_job_acyclic_check_has_both_spellings():
    assert callable(Job.checkJobGraphAcyclic) and callable(Job.checkJobGraphAcylic)


@pytest.mark.parametrize("name", ["assignConfig", "getUserScript", "loadJob", "getRootJobs",
                                  "getTopologicalOrderingOfJobs", "checkJobGraphForDeadlocks",
                                  "checkJobGraphConnected", "checkNewCheckpointsAreLeafVertices",
                                  "addChild", "addFollowOn", "addService", "addChildFn", "addFollowOnFn",
                                  "addChildJobFn", "addFollowOnJobFn", "wrapFn", "wrapJobFn", "encapsulate",
                                  "rv", "log", "defer", "hasChild", "hasFollowOn", "hasPredecessor",
                                  "hasService", "run"])
def test_job_methods(name):
    assert callable(getattr(Job, name))


@pytest.mark.parametrize("name", ["set_message_bus", "add_options", "setOptions", "issueBatchJob",
                                  "killBatchJobs", "getIssuedBatchJobIDs", "getRunningBatchJobIDs",
                                  "getUpdatedBatchJob", "getSchedulingStatusMessage", "shutdown", "setEnv",
                                  "supportsAutoDeployment", "supportsWorkerCleanup", "setUserScript",
                                  "getWorkerContexts"])
def test_batch_system_method_names(name):
    assert callable(getattr(AbstractBatchSystem, name))
