"""The ``aws_batch`` batch system against the AWS Batch API of the test server (moto).

moto's Batch either runs jobs in Docker (there is no Docker engine on this machine, and its images
could not be pulled without a registry) or, as configured here, accepts jobs without running
them and reports them SUCCEEDED. So these tests drive the real submission, polling, kill and
shutdown paths and check what reached the Batch API; the batch system contract, which needs jobs
that really run, is skipped (running jobs end to end needs a live AWS account).
"""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from toil_core.testing import BatchSystemContract

LIVE_ONLY = ("jobs cannot run end to end here: moto's AWS Batch runs a job only by pulling its image from a "
             "registry into a Docker engine, and this machine reaches no image registry (podman's Docker API could "
             "stand in for the engine, not for the registry); without Docker moto reports every job SUCCEEDED "
             "without running it. Running jobs needs a live AWS account.")


@pytest.fixture(scope="session")
def batch_queue(moto_server: Any) -> str:
    import boto3

    moto_server.configure({"batch": {"use_docker": False}})
    kw = {"endpoint_url": moto_server.url, "region_name": "us-east-1"}
    role = boto3.client("iam", **kw).create_role(RoleName="toil-batch-service", AssumeRolePolicyDocument="{}")
    batch = boto3.client("batch", **kw)
    environment = batch.create_compute_environment(
        computeEnvironmentName="toil-test", type="UNMANAGED", state="ENABLED", serviceRole=role["Role"]["Arn"])
    batch.create_job_queue(jobQueueName="toil-test-queue", state="ENABLED", priority=1, computeEnvironmentOrder=[
        {"order": 1, "computeEnvironment": environment["computeEnvironmentArn"]}])
    return "toil-test-queue"


@pytest.fixture
def config(tmp_path: Path, batch_queue: str) -> Any:
    from toil_core.testing import make_config

    return make_config(tmp_path / "work", batchSystem="aws_batch", jobStore="aws:us-east-1:some-store",
                       aws_batch_queue=batch_queue, aws_batch_image="toil-appliance:test",
                       aws_batch_job_role_arn="arn:aws:iam::123456789012:role/toil-jobs", statePollingWait=0.2)


@pytest.fixture
def batch_system(config: Any) -> Iterator[Any]:
    from toil_aws.batch import AWSBatchBatchSystem

    system = AWSBatchBatchSystem(config, 4, 8 * 2**30, 8 * 2**30)
    yield system
    system.shutdown()


def _submitted(system: Any) -> List[Dict[str, Any]]:
    """Record the parameters of every SubmitJob the batch system's client sends."""
    calls: List[Dict[str, Any]] = []
    system.client.meta.events.register("provide-client-params.batch.SubmitJob",
                                       lambda params, **kw: calls.append(dict(params)))
    return calls


def _job(name: str = "work", cores: float = 1.5, memory: int = 300 * 2**20, accelerators: Any = None) -> Any:
    from toil_core.testing import make_job_description

    return make_job_description(name, cores=cores, memory=memory, accelerators=accelerators or [])


def test_submit_poll_and_report(batch_system: Any) -> None:
    from toil_core.plugin_api import WorkerInvocation

    calls = _submitted(batch_system)
    desc = _job(accelerators=[{"kind": "gpu", "count": 2}])
    command = WorkerInvocation("work", "aws:us-east-1:some-store", desc.jobStoreID)
    job_id = batch_system.issueBatchJob(command, desc, {"TOIL_SSE_KEY": "/k"})
    assert job_id in batch_system.getIssuedBatchJobIDs()
    (params,) = calls
    overrides = params["containerOverrides"]
    assert overrides["command"] == ["_toil_worker", "work", "aws:us-east-1:some-store", desc.jobStoreID]
    assert {"name": "TOIL_SSE_KEY", "value": "/k"} in overrides["environment"]
    assert overrides["resourceRequirements"] == [{"type": "VCPU", "value": "2"}, {"type": "MEMORY", "value": "300"},
                                                 {"type": "GPU", "value": "2"}]
    assert params["jobQueue"] == "toil-test-queue"
    update = batch_system.getUpdatedBatchJob(30)
    assert update is not None and update.jobID == job_id and update.exitStatus == 0
    assert batch_system.getUpdatedBatchJob(0.5) is None  # reported once
    assert job_id not in batch_system.getIssuedBatchJobIDs()


def test_many_jobs_are_polled_in_batches(batch_system: Any) -> None:
    described: List[int] = []
    batch_system.client.meta.events.register(
        "provide-client-params.batch.DescribeJobs", lambda params, **kw: described.append(len(params["jobs"])))
    ids = {batch_system.issueBatchJob(f"echo {i}", _job(f"j{i}", cores=1, memory=2**20)) for i in range(130)}
    seen = set()
    while len(seen) < len(ids):
        update = batch_system.getUpdatedBatchJob(30)
        assert update is not None
        seen.add(update.jobID)
    assert seen == ids
    assert max(described) == 100 and len(described) >= 2


def test_kill_terminates_and_the_job_is_never_reported(batch_system: Any) -> None:
    terminated: List[str] = []
    batch_system.client.meta.events.register(
        "provide-client-params.batch.TerminateJob", lambda params, **kw: terminated.append(params["jobId"]))
    job_id = batch_system.issueBatchJob("sleep 100", _job())
    aws_id = batch_system._aws_ids[job_id]
    batch_system.killBatchJobs([job_id])
    assert terminated == [aws_id]
    assert job_id not in batch_system.getIssuedBatchJobIDs()
    assert batch_system.getUpdatedBatchJob(1) is None


def test_one_job_definition_per_run_deregistered_at_shutdown(config: Any) -> None:
    from toil_aws.batch import AWSBatchBatchSystem

    system = AWSBatchBatchSystem(config, 4, 8 * 2**30, 8 * 2**30)
    system.issueBatchJob("true", _job("a"))
    system.issueBatchJob("true", _job("b"))
    arn = system._job_definition_arn
    definition = system.client.describe_job_definitions(jobDefinitions=[arn])["jobDefinitions"][0]
    assert definition["status"] == "ACTIVE"
    assert definition["containerProperties"]["image"] == "toil-appliance:test"
    assert definition["containerProperties"]["jobRoleArn"] == "arn:aws:iam::123456789012:role/toil-jobs"
    system.shutdown()
    system.shutdown()  # twice is fine
    definition = system.client.describe_job_definitions(jobDefinitions=[arn])["jobDefinitions"][0]
    assert definition["status"] == "INACTIVE"


@pytest.mark.parametrize("missing, message", [
    ("aws_batch_queue", "needs a job queue: give --awsBatchQueue"),
    ("aws_batch_image", "needs the container image"),
    ("jobStore", "cannot reach the job store"),
])
def test_misconfiguration_is_refused(missing: str, message: str, config: Any) -> None:
    from toil_aws.batch import AWSBatchBatchSystem
    from toil_aws.session import AWSSetupError

    setattr(config, missing, "file:/tmp/js" if missing == "jobStore" else None)
    with pytest.raises(AWSSetupError, match=message):
        AWSBatchBatchSystem(config, 4, 8 * 2**30, 8 * 2**30)


class TestAWSBatchContract(BatchSystemContract):
    batch_system_name = "aws_batch"

    @pytest.fixture(autouse=True)
    def _live_only(self) -> None:
        pytest.skip(LIVE_ONLY)


def test_job_names_are_valid_for_aws_batch(batch_system: Any) -> None:
    calls = _submitted(batch_system)
    batch_system.issueBatchJob("true", _job(f"weird name/with:chars.{uuid.uuid4().hex}"))
    assert all(c.isalnum() or c in "-_" for c in calls[0]["jobName"])
