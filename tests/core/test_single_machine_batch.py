"""The single_machine batch system used directly: shell commands with resource requirements."""
import os

import pytest

from toil.batchSystems.abstractBatchSystem import (
    BatchJobExitReason,
    InsufficientSystemResources,
    UpdatedBatchJobInfo,
)
from toil.batchSystems.singleMachine import SingleMachineBatchSystem
from batch_support import GiB, MiB, desc, pid_gone, read_pid, wait_all, wait_for

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
    assert update.wallTime >= 0.45  # at least the command's own sleep


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
# Gated jobs hold until the gate opens: the test waits for the jobs that fit to start, checks that the
# others wait, then opens the gate and checks from the recorded start/end times that no more ran at once.
def _bounded_run(system, gate, count, bound, job_desc):
    ids = [system.issueBatchJob(gate.command(i), job_desc) for i in range(count)]
    assert len(system.getIssuedBatchJobIDs()) == count
    gate.wait_started(bound)
    assert len(system.getRunningBatchJobIDs()) == bound
    gate.open()
    assert sorted(u.jobID for u in wait_all(system, count)) == sorted(ids)
    assert gate.max_overlap() == bound, gate.intervals()


@needs_two_cores
def test_parallelism_is_bounded_by_max_cores(batch, gate):
    _bounded_run(batch(max_cores=2), gate, 4, 2, desc(cores=1))


def test_half_core_jobs_run_two_per_core(batch, gate):
    _bounded_run(batch(max_cores=1), gate, 4, 2, desc(cores=0.5))


def test_tiny_core_requests_count_as_a_tenth_of_a_core(batch, gate):
    # ten fit on one core at 0.1 each; the eleventh waits
    _bounded_run(batch(max_cores=1), gate, 11, 10, desc(cores=0.01, memory=MiB, disk=MiB))


def test_memory_bounds_parallelism(batch, gate):
    _bounded_run(batch(max_cores=1, max_memory=100 * MiB), gate, 3, 2, desc(cores=0.1, memory=50 * MiB))


@needs_two_cores
def test_scale_multiplies_requested_cores(batch, gate):
    _bounded_run(batch(max_cores=2, scale=2), gate, 2, 1, desc(cores=1))


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
def test_running_jobs_are_listed_with_their_run_time(batch, gate):
    system = batch(max_cores=1)
    running = system.issueBatchJob(gate.command("running"), desc(cores=1))
    waiting = system.issueBatchJob(gate.command("waiting"), desc(cores=1))
    gate.wait_started(1)
    first = system.getRunningBatchJobIDs()
    assert set(first) == {running}
    assert first[running] >= 0
    wait_for(lambda: system.getRunningBatchJobIDs()[running] > first[running], 10, "the run time to grow")
    assert sorted(system.getIssuedBatchJobIDs()) == sorted([running, waiting])
    system.killBatchJobs([running, waiting])


def test_killed_running_job_is_never_reported(batch, tmp_path):
    system = batch()
    pid_file = tmp_path / "pid"
    job_id = system.issueBatchJob(f"echo $$ > {pid_file}; exec sleep 30", desc())
    pid = read_pid(pid_file)
    system.killBatchJobs([job_id])
    assert job_id not in system.getIssuedBatchJobIDs()
    assert job_id not in system.getRunningBatchJobIDs()
    assert system.getUpdatedBatchJob(1) is None
    wait_for(lambda: pid_gone(pid), 10, f"the killed job's process {pid} to end")


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
    pid = read_pid(pid_file)
    system.shutdown()
    system.shutdown()
    wait_for(lambda: pid_gone(pid), 10, f"the running job's process {pid} to end")


def test_shutdown_without_jobs_twice(batch):
    system = batch()
    system.shutdown()
    system.shutdown()


def test_capabilities():
    assert SingleMachineBatchSystem.supportsWorkerCleanup() is True
    assert SingleMachineBatchSystem.supportsAutoDeployment() is False
