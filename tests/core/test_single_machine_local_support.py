"""Upstream batch-system helpers built on single_machine: BatchSystemLocalSupport (leader-local jobs)
and BatchSystemCleanupSupport / WorkerCleanupContext."""
import pytest

from toil.batchSystems.abstractBatchSystem import (
    AbstractScalableBatchSystem,
    BatchJobExitReason,
    BatchSystemCleanupSupport,
    BatchSystemLocalSupport,
    NodeInfo,
    WorkerCleanupInfo,
)
from toil_core.job.description import JobDescription

from batch_support import MiB, make_config, wait_all


class LocalOnly(BatchSystemLocalSupport):
    """A minimal remote-less batch system: only local jobs are supported."""

    def issueBatchJob(self, command, job_desc, job_environment=None):
        job_id = self.handleLocalJob(command, job_desc, job_environment)
        if job_id is None:
            raise RuntimeError("only local jobs here")
        return job_id

    def killBatchJobs(self, jobIDs):
        self.killLocalJobs(jobIDs)

    def getIssuedBatchJobIDs(self):
        return self.getIssuedLocalJobIDs()

    def getRunningBatchJobIDs(self):
        return self.getRunningLocalJobIDs()

    def getUpdatedBatchJob(self, maxWait):
        return self.getUpdatedLocalJob(maxWait)

    def shutdown(self):
        self.shutdownLocal()


@pytest.fixture
def local_batch(tmp_path):
    system = LocalOnly(make_config(tmp_path), 1, 512 * MiB, 512 * MiB)
    yield system
    system.shutdown()


def local_desc():
    return JobDescription(jobName="local", cores=0.1, memory=MiB, disk=MiB, local=True)


def test_non_local_jobs_are_not_handled(local_batch):
    desc = JobDescription(jobName="remote", cores=0.1, memory=MiB, disk=MiB)
    assert local_batch.handleLocalJob("true", desc) is None


def test_local_job_runs_and_reports_its_exit_code(local_batch):
    job_id = local_batch.issueBatchJob("exit 4", local_desc())
    update = local_batch.getUpdatedBatchJob(10)
    assert (update.jobID, update.exitStatus, update.exitReason) == (job_id, 4, BatchJobExitReason.FAILED)


def test_local_job_ids_come_from_get_next_job_id(local_batch):
    taken = local_batch.getNextJobID()
    job_id = local_batch.issueBatchJob("true", local_desc())
    assert job_id == taken + 1
    assert local_batch.getUpdatedBatchJob(10).jobID == job_id


def test_local_jobs_listed_and_killed(local_batch, gate):
    job_id = local_batch.issueBatchJob(gate.command("local"), local_desc())
    gate.wait_started(1)
    assert job_id in local_batch.getIssuedBatchJobIDs()
    assert job_id in local_batch.getRunningBatchJobIDs()
    local_batch.killBatchJobs([job_id])
    assert local_batch.getIssuedBatchJobIDs() == []
    assert local_batch.getUpdatedBatchJob(0.5) is None


def test_max_local_jobs_limits_local_parallelism(tmp_path, gate):
    system = LocalOnly(make_config(tmp_path, max_local_jobs=1), 1, 512 * MiB, 512 * MiB)
    try:
        for i in range(2):
            system.issueBatchJob(gate.command(i), local_desc())
        gate.wait_started(1)
        assert len(system.getRunningBatchJobIDs()) == 1
        gate.open()
        wait_all(system, 2)
        assert gate.max_overlap() == 1, gate.intervals()
    finally:
        system.shutdown()


def test_cleanup_support_reports_worker_cleanup(tmp_path):
    class Cleaning(BatchSystemCleanupSupport):
        def issueBatchJob(self, command, job_desc, job_environment=None):
            return 0

        def killBatchJobs(self, jobIDs):
            pass

        def getIssuedBatchJobIDs(self):
            return []

        def getRunningBatchJobIDs(self):
            return {}

        def getUpdatedBatchJob(self, maxWait):
            return None

        def shutdown(self):
            pass

    from toil.batchSystems.abstractBatchSystem import WorkerCleanupContext

    system = Cleaning(make_config(tmp_path), 1, MiB, MiB)
    assert Cleaning.supportsWorkerCleanup() is True
    (context,) = system.getWorkerContexts()
    assert isinstance(context, WorkerCleanupContext)
    assert context.workerCleanupInfo.work_dir == str(tmp_path)


def test_worker_cleanup_context_removes_the_workflow_dir_when_last_out(tmp_path):
    from toil.batchSystems.abstractBatchSystem import WorkerCleanupContext

    info = WorkerCleanupInfo(str(tmp_path), None, "wfid", "always")
    workflow_dir = tmp_path / "toil-wfid"
    with WorkerCleanupContext(info):
        workflow_dir.mkdir()
        (workflow_dir / "leftover").write_text("x")
    assert not workflow_dir.exists()


def test_worker_cleanup_context_keeps_the_dir_with_never(tmp_path):
    from toil.batchSystems.abstractBatchSystem import WorkerCleanupContext

    info = WorkerCleanupInfo(str(tmp_path), None, "wfid", "never")
    workflow_dir = tmp_path / "toil-wfid"
    with WorkerCleanupContext(info):
        workflow_dir.mkdir()
    assert workflow_dir.exists()


def test_scalable_batch_system_is_abstract():
    with pytest.raises(TypeError):
        AbstractScalableBatchSystem()
    info = NodeInfo(coresUsed=1.0, memoryUsed=0.5, coresTotal=4, memoryTotal=1024, requestedCores=2,
                    requestedMemory=100, workers=3)
    assert info.workers == 3 and info.coresTotal == 4
