"""The contract every batch system keeps, as a pytest suite to subclass.

::

    from toil_core.testing import BatchSystemContract

    class TestMyBatchSystem(BatchSystemContract):
        batch_system_name = "my_bs"          # the --batchSystem word; class and capabilities
                                             # come from the installed plugin's spec

Beyond the interface, the suite checks what real runs need: the workflow test runs with the
interpreter's directory *off* ``PATH`` (as when a user runs ``/path/to/venv/bin/python workflow.py``
without activating the venv: the batch system must find ``_toil_worker`` itself), a job killed by a
signal is reported as ``-N`` or ``128+N``, and a batch system whose workers run beside the leader
(``runs_workers_beside_leader()``, or the ``local`` capability) never runs more cores than
``maxCores``. A job the suite issues marks its end in ``scratch``: once that mark exists the batch
system has ``report_grace`` seconds to report it, so a backend that never reports fails in seconds;
after one such failure the other tests stop waiting.

Override fixtures to change how the batch system is made: ``batch_system_class``, ``config``,
``batch_system`` (must yield a ready instance and may shut it down afterwards), ``capabilities``
and ``scratch`` (a directory that both this process and the jobs can see; override it with a
shared directory for a remote scheduler). Tests of optional behaviour run only when the spec
lists the capability (``walltime``, ``accelerators``, ``fractional_cores``) and are skipped
with the reason otherwise.
"""
from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, FrozenSet, List, Optional, Type

import pytest

from toil_core.batch.abstract import AbstractBatchSystem, InsufficientSystemResources
from toil_core.batch.invocation import WORKER_COMMAND
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
    #: Seconds a batch system may take to report a job after the job has visibly ended.
    report_grace: float = 15.0
    #: Seconds the end-to-end workflow may take.
    workflow_timeout: float = 300.0
    #: Set (on the class) when a job ended but was never reported: later waits give up at once.
    _stuck: Optional[str] = None

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

    @pytest.fixture(autouse=True)
    def _end_marks(self, scratch: Path) -> None:
        """Where the jobs the suite issues mark their end (see :meth:`issue`)."""
        self._marks = scratch
    # ------------------------------------------------------------------ helpers
    def job(self, **requirements: Any) -> Any:
        """A job description (cores 1, 100 MiB memory and disk unless given)."""
        return make_job_description(**requirements)

    def issue(self, batch_system: Any, command: str, **kwargs: Any) -> int:
        """Issue ``command``; it also leaves a mark in ``scratch`` when it exits (not when a signal
        kills it), so :meth:`wait_for` knows when the job has ended."""
        job_desc = kwargs.pop("job_desc", None) or self.job()
        marks: Optional[Path] = getattr(self, "_marks", None)
        mark = marks / f".ended-{uuid.uuid4().hex}" if marks is not None else None
        if mark is not None and re.fullmatch(r"[\w/.+-]+", str(mark)):
            command = f"trap 'touch {mark}' EXIT; {command}"
        else:
            mark = None
        job_id = batch_system.issueBatchJob(command, job_desc, **kwargs)
        self.__dict__.setdefault("_end_mark_of", {})[job_id] = mark
        return job_id

    def wait_for(self, batch_system: Any, job_id: int, timeout: Optional[float] = None) -> Any:
        """The update of ``job_id``; fails the test if it does not come in time: ``timeout`` (default
        ``job_timeout``) seconds, or ``report_grace`` seconds after the job visibly ended."""
        pending: List[Any] = self.__dict__.setdefault("_pending_updates", [])
        for update in pending:
            if update.jobID == job_id:
                pending.remove(update)
                return update
        if type(self)._stuck:
            update = batch_system.getUpdatedBatchJob(1)
            if update is not None and update.jobID == job_id:
                return update
            pytest.fail(f"batch job {job_id} was not reported; not waiting again: {type(self)._stuck}")
        mark = self.__dict__.get("_end_mark_of", {}).get(job_id)
        limit = timeout or self.job_timeout
        deadline = time.monotonic() + limit
        ended_at: Optional[float] = None
        while time.monotonic() < deadline:
            update = batch_system.getUpdatedBatchJob(1)
            if update is not None:
                if update.jobID == job_id:
                    return update
                pending.append(update)  # another job's: kept for a later wait_for
                continue
            if mark is not None and ended_at is None and mark.exists():
                ended_at = time.monotonic()
                deadline = min(deadline, ended_at + self.report_grace)
        if ended_at is not None:
            stuck = (f"batch job {job_id} ended (its command exited) but getUpdatedBatchJob() did not "
                     f"report it within {self.report_grace:g}s; every finished job must be reported once")
            type(self)._stuck = stuck
            pytest.fail(stuck + f" (other updates: {pending})")
        pytest.fail(f"batch job {job_id} was not reported within {limit:g}s and never ran to its end "
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

    @pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
    def test_signal_death_is_a_failure_naming_the_signal(self, batch_system: Any, signum: int) -> None:
        """A job killed by signal N (the kernel's OOM killer, a scheduler's limit) must not look
        like success: it is reported as ``-N`` (Python's convention) or ``128+N`` (the shell's)."""
        job_id = self.issue(batch_system, f"kill -{int(signum)} $$")
        status = self.wait_for(batch_system, job_id).exitStatus
        assert status in (-int(signum), 128 + int(signum)), (
            f"a job killed by signal {int(signum)} was reported with exit status {status!r}; report -N or 128+N")

    # ------------------------------------------------------------------ local resources
    def test_local_jobs_respect_max_cores(self, batch_system_class: type, config: Any, scratch: Path,
                                          capabilities: FrozenSet[str]) -> None:
        """A batch system running jobs on the leader's machine never runs more cores at once than
        the ``maxCores`` it was given (``--maxCores``)."""
        beside = getattr(batch_system_class, "runs_workers_beside_leader", None)
        if not ("local" in capabilities or (callable(beside) and beside())):
            pytest.skip("the batch system does not run jobs on the leader's machine "
                        "(runs_workers_beside_leader() is False and no 'local' capability)")
        system = batch_system_class(config, 1, self.max_memory, self.max_disk)
        spans = scratch / "spans"
        spans.mkdir()
        try:
            ids = [self.issue(system, f"date +%s%N > {shlex.quote(str(spans))}/{n}.start; sleep 0.5; "
                                      f"date +%s%N > {shlex.quote(str(spans))}/{n}.end", job_desc=self.job(cores=1))
                   for n in range(3)]
            for job_id in ids:
                assert self.wait_for(system, job_id).exitStatus == 0
        finally:
            system.shutdown()
        times = [(int((spans / f"{n}.start").read_text()), int((spans / f"{n}.end").read_text())) for n in range(3)]
        at_once = max(sum(1 for s, e in times if s <= t < e) for t, _ in times)
        assert at_once == 1, (f"{at_once} one-core jobs ran at once under maxCores=1: a local batch system "
                              "must queue jobs that do not fit (check_resource_request only rejects the impossible)")

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

    def test_worker_cleanup_capability_matches_the_class(self, batch_system_class: Type[AbstractBatchSystem],
                                                         capabilities: FrozenSet[str]) -> None:
        assert batch_system_class.supportsWorkerCleanup() == ("worker_cleanup" in capabilities)

    # ------------------------------------------------------------------ Toil end to end
    def test_runs_a_toil_workflow(self, tmp_path: Path) -> None:
        """A real workflow, started the way users often do: the interpreter by its path, its
        directory (with ``_toil_worker``) not on ``PATH``. The batch system must run the worker
        of this environment anyway (``WorkerInvocation.resolved()``, or the interpreter's
        directory first on the jobs' ``PATH``)."""
        if not self.batch_system_name:
            pytest.skip("needs batch_system_name: the workflow names the batch system on its command line")
        if type(self)._stuck:
            pytest.fail(f"not running a workflow on a batch system that does not report finished jobs: {type(self)._stuck}")
        path = path_without_worker()
        try:
            result = run_tiny_workflow(tmp_path / "workflow", self.batch_system_name,
                                       extra_args=["--logLevel", "INFO"], env={"PATH": path},
                                       timeout=self.workflow_timeout)
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"the workflow did not finish within {self.workflow_timeout:g}s (is every finished job "
                        f"reported?)\n--- leader's log (tail)\n{_tail(exc.stderr)}\n--- stdout\n{_tail(exc.stdout)}")
        hint = ""
        if "_toil_worker" in result.stderr and ("not found" in result.stderr or "127" in result.stderr):
            hint = ("\nHint: jobs could not find `_toil_worker`; PATH was " + path + ". Run the worker of this "
                    "interpreter's environment: WorkerInvocation.resolved(), or put "
                    "os.path.dirname(sys.executable) first on the jobs' PATH.")
        assert result.returncode == 0, (f"the workflow failed (exit {result.returncode}){hint}\n--- leader's log "
                                        f"(tail)\n{_tail(result.stderr)}\n--- stdout\n{_tail(result.stdout)}")
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
        time.sleep(3)  # the job would have touched the marker 2 s after it started
        assert not marker.exists(), "a job kept running after shutdown()"
        assert os.path.isdir(scratch)


def path_without_worker(path: Optional[str] = None) -> str:
    """``PATH`` (default: this process's) without the interpreter's directory and without any
    directory holding a ``_toil_worker`` program: what a job sees when the user did not activate
    the virtual environment."""
    skip = {os.path.realpath(os.path.dirname(sys.executable))}
    kept = []
    for entry in (path if path is not None else os.environ.get("PATH", "/usr/bin:/bin")).split(os.pathsep):
        if not entry or os.path.realpath(entry) in skip or os.path.exists(os.path.join(entry, WORKER_COMMAND)):
            continue
        kept.append(entry)
    return os.pathsep.join(kept) or "/usr/bin:/bin"


def _tail(text: Any, limit: int = 6000) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return (text or "")[-limit:]
