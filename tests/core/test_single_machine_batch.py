"""The single_machine batch system used directly: shell commands with resource requirements."""
import os
import time

import pytest

from toil.batchSystems.abstractBatchSystem import (
    BatchJobExitReason,
    InsufficientSystemResources,
    UpdatedBatchJobInfo,
)
from toil.batchSystems.singleMachine import SingleMachineBatchSystem
from toil_core.common.config import Config
from toil_core.workflow.options import get_default_options
from toil_core.job.description import JobDescription

MiB = 1024 * 1024
GiB = 1024 * MiB


def make_config(tmp_path, **overrides):
    options = get_default_options(str(tmp_path / "js"))
    options.workDir = str(tmp_path)
    for key, value in overrides.items():
        setattr(options, key, value)
    config = Config()
    config.setOptions(options)
    return config


def desc(cores=1, memory=10 * MiB, disk=10 * MiB, name="job"):
    return JobDescription(jobName=name, cores=cores, memory=memory, disk=disk)


@pytest.fixture
def batch(tmp_path):
    systems = []

    def factory(max_cores=2, max_memory=GiB, max_disk=GiB, **config_overrides):
        system = SingleMachineBatchSystem(make_config(tmp_path, **config_overrides), max_cores, max_memory, max_disk)
        systems.append(system)
        return system

    yield factory
    for system in systems:
        system.shutdown()


def wait_all(system, count, timeout=30):
    results = []
    deadline = time.time() + timeout
    while len(results) < count and time.time() < deadline:
        update = system.getUpdatedBatchJob(1)
        if update is not None:
            results.append(update)
    assert len(results) == count, f"only {len(results)} of {count} jobs finished"
    return results


needs_two_cores = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs at least 2 CPU cores")


# ---------------------------------------------------------------- exit codes
def test_successful_command_is_reported_finished(batch):
    system = batch()
    job_id = system.issueBatchJob("true", desc())
    (update,) = wait_all(system, 1)
    assert isinstance(update, UpdatedBatchJobInfo)
    assert update.jobID == job_id
    assert update.exitStatus == 0
    assert update.exitReason == BatchJobExitReason.FINISHED
    assert update.wallTime >= 0


def test_failing_command_reports_its_exit_code(batch):
    system = batch()
    job_id = system.issueBatchJob("exit 3", desc())
    (update,) = wait_all(system, 1)
    assert (update.jobID, update.exitStatus, update.exitReason) == (job_id, 3, BatchJobExitReason.FAILED)


def test_each_update_is_reported_once(batch):
    system = batch()
    system.issueBatchJob("true", desc())
    wait_all(system, 1)
    assert system.getUpdatedBatchJob(0.5) is None


def test_job_ids_are_distinct(batch):
    system = batch()
    ids = [system.issueBatchJob("true", desc(cores=0.1)) for _ in range(5)]
    assert len(set(ids)) == 5
    assert sorted(update.jobID for update in wait_all(system, 5)) == sorted(ids)


def test_wall_time_is_measured(batch):
    system = batch()
    system.issueBatchJob("sleep 0.5", desc())
    (update,) = wait_all(system, 1)
    assert 0.4 <= update.wallTime < 5


def test_job_environment_reaches_the_command(batch, tmp_path):
    system = batch()
    out = tmp_path / "env.txt"
    system.setEnv("FROM_SET_ENV", "set-env-value")
    system.issueBatchJob(f'echo "$JOB_VAR $FROM_SET_ENV" > {out}', desc(), job_environment={"JOB_VAR": "job-value"})
    wait_all(system, 1)
    assert out.read_text().strip() == "job-value set-env-value"


def test_set_env_without_value_needs_the_variable_in_the_environment(batch, monkeypatch):
    system = batch()
    monkeypatch.delenv("SURELY_NOT_SET_TOIL_TEST", raising=False)
    with pytest.raises(RuntimeError):
        system.setEnv("SURELY_NOT_SET_TOIL_TEST")


# ---------------------------------------------------------------- resource bounds
@needs_two_cores
def test_parallelism_is_bounded_by_max_cores(batch):
    system = batch(max_cores=2)
    start = time.time()
    for _ in range(4):
        system.issueBatchJob("sleep 1", desc(cores=1))
    wait_all(system, 4)
    elapsed = time.time() - start
    assert 1.9 <= elapsed < 3.8, elapsed


def test_half_core_jobs_run_two_per_core(batch):
    system = batch(max_cores=1)
    start = time.time()
    for _ in range(4):
        system.issueBatchJob("sleep 1", desc(cores=0.5))
    wait_all(system, 4)
    elapsed = time.time() - start
    assert 1.9 <= elapsed < 3.8, elapsed


def test_tiny_core_requests_count_as_a_tenth_of_a_core(batch):
    system = batch(max_cores=1)
    start = time.time()
    for _ in range(11):  # ten fit on one core at 0.1 each; the eleventh waits
        system.issueBatchJob("sleep 1", desc(cores=0.01, memory=MiB, disk=MiB))
    time.sleep(0.5)
    assert len(system.getRunningBatchJobIDs()) == 10
    wait_all(system, 11)
    elapsed = time.time() - start
    assert 1.9 <= elapsed < 3.8, elapsed


def test_memory_bounds_parallelism(batch):
    system = batch(max_cores=1, max_memory=100 * MiB)
    for _ in range(3):
        system.issueBatchJob("sleep 1", desc(cores=0.1, memory=50 * MiB))
    time.sleep(0.5)
    assert len(system.getRunningBatchJobIDs()) == 2
    assert len(system.getIssuedBatchJobIDs()) == 3
    wait_all(system, 3)


@needs_two_cores
def test_scale_multiplies_requested_cores(batch):
    system = batch(max_cores=2, scale=2)
    start = time.time()
    for _ in range(2):
        system.issueBatchJob("sleep 1", desc(cores=1))
    time.sleep(0.4)
    assert len(system.getRunningBatchJobIDs()) == 1
    wait_all(system, 2)
    assert time.time() - start >= 1.9


def test_scale_can_make_a_job_too_big(batch):
    system = batch(max_cores=1, scale=2)
    with pytest.raises(InsufficientSystemResources) as info:
        system.issueBatchJob("true", desc(cores=0.75))
    assert "--maxCores" in str(info.value)


@pytest.mark.parametrize(
    "resource, request_kwargs, option",
    [
        ("cores", {"cores": 1000}, "--maxCores"),
        ("memory", {"memory": 2 * GiB}, "--maxMemory"),
        ("disk", {"disk": 2 * GiB}, "--maxDisk"),
    ],
)
def test_oversized_request_raises_insufficient_resources_naming_the_option(batch, resource, request_kwargs, option):
    system = batch(max_cores=1, max_memory=GiB, max_disk=GiB)
    with pytest.raises(InsufficientSystemResources) as info:
        system.issueBatchJob("true", desc(**request_kwargs))
    assert f'"{option}"' in str(info.value)
    assert info.value.resource == resource
    assert system.getIssuedBatchJobIDs() == []


def test_check_resource_request_accepts_fitting_jobs(batch):
    system = batch(max_cores=1)
    system.check_resource_request(desc(cores=1, memory=MiB, disk=MiB))


def test_max_cores_is_limited_to_the_machine(batch):
    system = batch(max_cores=10**6)
    assert system.maxCores <= (os.cpu_count() or 1)


# ---------------------------------------------------------------- queries and killing
def test_running_jobs_are_listed_with_their_run_time(batch):
    system = batch(max_cores=1)
    running = system.issueBatchJob("sleep 5", desc(cores=1))
    waiting = system.issueBatchJob("sleep 5", desc(cores=1))
    time.sleep(0.6)
    times = system.getRunningBatchJobIDs()
    assert set(times) == {running}
    assert times[running] >= 0.4
    assert sorted(system.getIssuedBatchJobIDs()) == sorted([running, waiting])
    system.killBatchJobs([running, waiting])


def test_killed_running_job_is_never_reported(batch, tmp_path):
    system = batch()
    pid_file = tmp_path / "pid"
    job_id = system.issueBatchJob(f"echo $$ > {pid_file}; exec sleep 30", desc())
    deadline = time.time() + 10
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.time() < deadline
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    system.killBatchJobs([job_id])
    assert job_id not in system.getIssuedBatchJobIDs()
    assert job_id not in system.getRunningBatchJobIDs()
    assert system.getUpdatedBatchJob(1) is None
    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_killed_waiting_job_never_runs(batch, tmp_path):
    system = batch(max_cores=1)
    blocker = system.issueBatchJob("sleep 1", desc(cores=1))
    marker = tmp_path / "ran"
    waiting = system.issueBatchJob(f"touch {marker}", desc(cores=1))
    system.killBatchJobs([waiting])
    (update,) = wait_all(system, 1)
    assert update.jobID == blocker
    assert system.getUpdatedBatchJob(1) is None
    assert not marker.exists()


def test_killing_frees_resources_for_waiting_jobs(batch):
    system = batch(max_cores=1)
    long_job = system.issueBatchJob("sleep 30", desc(cores=1))
    quick = system.issueBatchJob("true", desc(cores=1))
    system.killBatchJobs([long_job])
    (update,) = wait_all(system, 1, timeout=10)
    assert update.jobID == quick


def test_shutdown_kills_running_jobs_and_is_idempotent(batch, tmp_path):
    system = batch()
    pid_file = tmp_path / "pid"
    system.issueBatchJob(f"echo $$ > {pid_file}; exec sleep 30", desc())
    deadline = time.time() + 10
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.time() < deadline
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    system.shutdown()
    system.shutdown()
    time.sleep(0.3)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_shutdown_without_jobs_twice(batch):
    system = batch()
    system.shutdown()
    system.shutdown()


def test_capabilities():
    assert SingleMachineBatchSystem.supportsWorkerCleanup() is True
    assert SingleMachineBatchSystem.supportsAutoDeployment() is False
