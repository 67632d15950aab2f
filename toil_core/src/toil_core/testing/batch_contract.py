"""The contract every batch system keeps, as a pytest suite to subclass.

::

    from toil_core.testing import BatchSystemContract

    class TestMyBatchSystem(BatchSystemContract):
        batch_system_name = "my_bs"          # the --batchSystem word; class and capabilities
                                             # come from the installed plugin's spec

Override fixtures to change how the batch system is made: ``batch_system_class``, ``config``,
``batch_system`` (must yield a ready instance and may shut it down afterwards), ``capabilities``
and ``scratch`` (a directory that both this process and the jobs can see; override it with a
shared directory for a remote scheduler). Tests of optional behaviour run only when the spec
lists the capability (``walltime``, ``accelerators``, ``fractional_cores``) and are skipped
with the reason otherwise.
"""
from __future__ import annotations

import os
import shlex
import time
import uuid
from pathlib import Path
from typing import Any, FrozenSet, List, Optional

import pytest

from toil_core.batch.abstract import InsufficientSystemResources
from toil_core.plugins.registry import get_batch_system_class, get_spec

from ._support import (
    TINY_WORKFLOW_OK,
    SubclassesAreTests,
    make_config,
    make_job_description,
    run_tiny_workflow,
    wait_until,
)

__all__ = ["BatchSystemContract"]


class BatchSystemContract(SubclassesAreTests):
    """Issue, run, report, exit codes, kill, environment, resource rejection, IDs, a real Toil
    workflow and shutdown; walltime, accelerators and fractional cores when capable."""

    __test__ = False

    #: The name given to ``--batchSystem``; None means: override ``batch_system_class``.
    batch_system_name: Optional[str] = None
    #: Limits passed to the constructor ``(config, maxCores, maxMemory, maxDisk)``.
    max_cores: float = 2
    max_memory: int = 2 * 2**30
    max_disk: int = 2 * 2**30
    #: Seconds to wait for a short job to be reported (raise it for a slow scheduler).
    job_timeout: float = 60.0

    # ------------------------------------------------------------------ fixtures
    @pytest.fixture
    def spec(self) -> Any:
        if not self.batch_system_name:
            return None

        return get_spec("batch_system", self.batch_system_name)

    @pytest.fixture
    def capabilities(self, spec: Any) -> FrozenSet[str]:
        return frozenset(spec.capabilities) if spec is not None else frozenset()

    @pytest.fixture
    def batch_system_class(self, spec: Any) -> type:
        if spec is None:
            pytest.fail("Set batch_system_name or override the batch_system_class fixture.")

        return get_batch_system_class(self.batch_system_name)  # type: ignore[arg-type]

    @pytest.fixture
    def config(self, tmp_path: Path) -> Any:
        return make_config(tmp_path / "work", batchSystem=self.batch_system_name or "contract")

    @pytest.fixture
    def batch_system(self, batch_system_class: type, config: Any) -> Any:
        system = batch_system_class(config, self.max_cores, self.max_memory, self.max_disk)
        yield system
        system.shutdown()

    @pytest.fixture
    def scratch(self, tmp_path: Path) -> Path:
        path = tmp_path / "scratch"
        path.mkdir(exist_ok=True)
        return path

    # ------------------------------------------------------------------ helpers
    def job(self, **requirements: Any) -> Any:
        """A job description (cores 1, 100 MiB memory and disk unless given)."""
        return make_job_description(**requirements)

    def issue(self, batch_system: Any, command: str, **kwargs: Any) -> int:
        job_desc = kwargs.pop("job_desc", None) or self.job()
        return batch_system.issueBatchJob(command, job_desc, **kwargs)

    def wait_for(self, batch_system: Any, job_id: int, timeout: Optional[float] = None) -> Any:
        """The update of ``job_id``; fails the test if it does not come in time."""
        pending: List[Any] = self.__dict__.setdefault("_pending_updates", [])
        for update in pending:
            if update.jobID == job_id:
                pending.remove(update)
                return update
        deadline = time.monotonic() + (timeout or self.job_timeout)
        while time.monotonic() < deadline:
            update = batch_system.getUpdatedBatchJob(1)
            if update is None:
                continue
            if update.jobID == job_id:
                return update
            pending.append(update)  # another job's: kept for a later wait_for
        pytest.fail(f"batch job {job_id} was not reported within {timeout or self.job_timeout}s "
                    f"(other updates: {pending})")

    def wait_running(self, batch_system: Any, job_id: int) -> None:
        if not wait_until(lambda: job_id in batch_system.getRunningBatchJobIDs(), self.job_timeout):
            pytest.fail(f"batch job {job_id} never showed up in getRunningBatchJobIDs()")

    @staticmethod
    def require(capabilities: FrozenSet[str], capability: str) -> None:
        if capability not in capabilities:
            pytest.skip(f"the batch system does not declare the {capability!r} capability")

    # ------------------------------------------------------------------ running jobs
    def test_runs_a_shell_command(self, batch_system: Any, scratch: Path) -> None:
        out = scratch / "out.txt"
        job_id = self.issue(batch_system, f"echo contract > {shlex.quote(str(out))}")
        assert isinstance(job_id, int)
        update = self.wait_for(batch_system, job_id)
        assert update.exitStatus == 0
        assert out.read_text().strip() == "contract"

    @pytest.mark.parametrize("code", [1, 3])
    def test_nonzero_exit_code_is_kept(self, batch_system: Any, code: int) -> None:
        job_id = self.issue(batch_system, f"exit {code}")
        assert self.wait_for(batch_system, job_id).exitStatus == code

    def test_each_update_is_reported_once(self, batch_system: Any) -> None:
        job_id = self.issue(batch_system, "true")
        self.wait_for(batch_system, job_id)
        again = batch_system.getUpdatedBatchJob(1)
        assert again is None or again.jobID != job_id

    def test_job_ids_are_distinct(self, batch_system: Any) -> None:
        ids = [self.issue(batch_system, "true") for _ in range(3)]
        assert len(set(ids)) == 3
        for job_id in ids:
            assert self.wait_for(batch_system, job_id).exitStatus == 0

    def test_issued_and_running_ids(self, batch_system: Any) -> None:
        job_id = self.issue(batch_system, "sleep 30")
        assert job_id in batch_system.getIssuedBatchJobIDs()
        self.wait_running(batch_system, job_id)
        seconds = batch_system.getRunningBatchJobIDs()[job_id]
        assert isinstance(seconds, (int, float)) and seconds >= 0
        batch_system.killBatchJobs([job_id])
        assert job_id not in batch_system.getIssuedBatchJobIDs()
        assert job_id not in batch_system.getRunningBatchJobIDs()

    def test_finished_job_is_no_longer_issued(self, batch_system: Any) -> None:
        job_id = self.issue(batch_system, "true")
        self.wait_for(batch_system, job_id)
        assert job_id not in batch_system.getIssuedBatchJobIDs()

    # ------------------------------------------------------------------ killing
    def test_killed_job_stops_and_is_never_reported(self, batch_system: Any, scratch: Path) -> None:
        marker = scratch / "survived"
        job_id = self.issue(batch_system, f"sleep 3 && touch {shlex.quote(str(marker))}")
        self.wait_running(batch_system, job_id)
        batch_system.killBatchJobs([job_id])
        other = self.issue(batch_system, "true")
        self.wait_for(batch_system, other)
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            update = batch_system.getUpdatedBatchJob(0.5)
            assert update is None or update.jobID != job_id, "a killed job was reported"
        pending = self.__dict__.get("_pending_updates", [])
        assert all(u.jobID != job_id for u in pending), "a killed job was reported"
        assert not marker.exists(), "the killed job kept running"

    # ------------------------------------------------------------------ environment
    def test_job_environment_is_passed(self, batch_system: Any, scratch: Path) -> None:
        out = scratch / "env.txt"
        job_id = self.issue(batch_system, f'echo "$TOIL_CONTRACT_JOB_VAR" > {shlex.quote(str(out))}',
                            job_environment={"TOIL_CONTRACT_JOB_VAR": "from job_environment"})
        assert self.wait_for(batch_system, job_id).exitStatus == 0
        assert out.read_text().strip() == "from job_environment"

    def test_job_environment_is_left_unchanged(self, batch_system: Any, scratch: Path) -> None:
        """The leader shares one environment dict between many jobs: a batch system must copy it
        before adding anything."""
        batch_system.setEnv("TOIL_CONTRACT_SET_VAR", "given")
        shared = {"TOIL_CONTRACT_JOB_VAR": "shared"}
        first = self.issue(batch_system, "true", job_environment=shared)
        second = self.issue(batch_system, "true", job_environment=shared)
        assert self.wait_for(batch_system, first).exitStatus == 0
        assert self.wait_for(batch_system, second).exitStatus == 0
        assert shared == {"TOIL_CONTRACT_JOB_VAR": "shared"}

    def test_set_env_is_passed(self, batch_system: Any, scratch: Path, monkeypatch: Any) -> None:
        monkeypatch.setenv("TOIL_CONTRACT_LEADER_VAR", "from the leader")
        batch_system.setEnv("TOIL_CONTRACT_SET_VAR", "given")
        batch_system.setEnv("TOIL_CONTRACT_LEADER_VAR")
        out = scratch / "setenv.txt"
        job_id = self.issue(batch_system, 'echo "$TOIL_CONTRACT_SET_VAR/$TOIL_CONTRACT_LEADER_VAR" > '
                            + shlex.quote(str(out)))
        assert self.wait_for(batch_system, job_id).exitStatus == 0
        assert out.read_text().strip() == "given/from the leader"

    def test_set_env_of_a_missing_variable_raises(self, batch_system: Any, monkeypatch: Any) -> None:
        name = f"TOIL_CONTRACT_MISSING_{uuid.uuid4().hex[:8].upper()}"
        monkeypatch.delenv(name, raising=False)
        with pytest.raises(RuntimeError):
            batch_system.setEnv(name)

    # ------------------------------------------------------------------ resources
    @pytest.mark.parametrize("resource", ["cores", "memory", "disk"])
    def test_too_large_a_request_is_rejected(self, batch_system: Any, resource: str) -> None:
        limits = {"cores": self.max_cores, "memory": self.max_memory, "disk": self.max_disk}
        too_much = {resource: limits[resource] * 1000}
        with pytest.raises(InsufficientSystemResources):
            self.issue(batch_system, "true", job_desc=self.job(**too_much))

    def test_fractional_cores(self, batch_system: Any, capabilities: FrozenSet[str]) -> None:
        self.require(capabilities, "fractional_cores")
        job_id = self.issue(batch_system, "true", job_desc=self.job(cores=0.5))
        assert self.wait_for(batch_system, job_id).exitStatus == 0

    def test_accelerators_beyond_the_machine_are_rejected(self, batch_system: Any,
                                                          capabilities: FrozenSet[str]) -> None:
        self.require(capabilities, "accelerators")

        gpus = [{"count": 4096, "kind": "gpu", "api": "cuda", "brand": "nvidia"}]
        with pytest.raises(InsufficientSystemResources):
            self.issue(batch_system, "true", job_desc=self.job(accelerators=gpus))

    def test_walltime_is_reported(self, batch_system: Any, capabilities: FrozenSet[str]) -> None:
        self.require(capabilities, "walltime")
        job_id = self.issue(batch_system, "sleep 1")
        update = self.wait_for(batch_system, job_id)
        assert update.wallTime is not None and update.wallTime >= 0.5

    def test_worker_cleanup_capability_matches_the_class(self, batch_system_class: type,
                                                         capabilities: FrozenSet[str]) -> None:
        assert batch_system_class.supportsWorkerCleanup() == ("worker_cleanup" in capabilities)

    # ------------------------------------------------------------------ Toil end to end
    def test_runs_a_toil_workflow(self, tmp_path: Path) -> None:
        if not self.batch_system_name:
            pytest.skip("needs batch_system_name: the workflow names the batch system on its command line")
        result = run_tiny_workflow(tmp_path / "workflow", self.batch_system_name,
                                   extra_args=["--logLevel", "INFO"])
        assert result.returncode == 0, result.stdout + result.stderr
        assert TINY_WORKFLOW_OK in result.stdout

    # ------------------------------------------------------------------ shutdown
    def test_shutdown_twice(self, batch_system_class: type, config: Any) -> None:
        system = batch_system_class(config, self.max_cores, self.max_memory, self.max_disk)
        system.shutdown()
        system.shutdown()

    def test_shutdown_stops_running_jobs(self, batch_system_class: type, config: Any, scratch: Path) -> None:
        system = batch_system_class(config, self.max_cores, self.max_memory, self.max_disk)
        marker = scratch / "after-shutdown"
        try:
            job_id = self.issue(system, f"sleep 2 && touch {shlex.quote(str(marker))}")
            self.wait_running(system, job_id)
        finally:
            system.shutdown()
        time.sleep(3)
        assert not marker.exists(), "a job kept running after shutdown()"
        assert os.path.isdir(scratch)
