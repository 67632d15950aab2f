"""Tests every toil-hpc scheduler passes: the batch system used directly, the manual's tutorials
end to end, a job killed by the scheduler, a job over its memory limit.

A test module subclasses :class:`SchedulerSuite`, names the session fixture of its scheduler in
``scheduler_fixture`` and implements the few scheduler-specific checks.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
from hpc_support import HERE, REPO, Scheduler, describe, finish
from toil_core.batch.abstract import BatchJobExitReason

E2E_SCRIPTS = REPO / "tests" / "e2e" / "scripts"
WORKFLOWS = HERE / "workflows"

#: The manual's tutorials (tests/e2e/scripts) and a line each must print or log.
TUTORIALS = {
    "tutorial_multiplejobs.py": ["Hello world, I have a message: first", "Hello world, I have a message: last"],
    "tutorial_promises.py": ["i is: 1", "i is: 2", "i is: 3"],
    "tutorial_services.py": [],
    "tutorial_managing.py": [],
    "tutorial_managing2.py": ["The following example exercises all the methods provided by the "
                              "toil.fileStores.abstractFileStore.AbstractFileStore class"],
}


def tutorial_copy(name: str, directory: Path) -> Path:
    """A copy of a tutorial script that takes Toil options from its command line: the scripts that
    build their options with ``Job.Runner.getDefaultOptions(jobstore)`` parse ``sys.argv`` too."""
    text = (E2E_SCRIPTS / name).read_text()
    old = "options = Job.Runner.getDefaultOptions(jobstore)"
    if old in text:
        text = "import sys\n" + text.replace(
            old, "options = Job.Runner.getDefaultArgumentParser().parse_args([jobstore] + sys.argv[1:])")
    target = directory / name
    target.write_text(text)
    return target


def _process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (jobs of every scheduler here run on this host)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def wait_for(batch_system: Any, job_id: int, timeout: float = 120) -> Any:
    """The update of one batch job; updates of other jobs that arrive first are kept for their own
    ``wait_for`` (jobs may finish in any order)."""
    early: Dict[int, Any] = batch_system.__dict__.setdefault("_test_early_updates", {})
    if job_id in early:
        return early.pop(job_id)
    deadline = time.time() + timeout
    while time.time() < deadline:
        update = batch_system.getUpdatedBatchJob(1)
        if update is None:
            continue
        if update.jobID == job_id:
            return update
        early[update.jobID] = update
    pytest.fail(f"batch job {job_id} was not reported within {timeout} s")


class SchedulerSuite:
    __test__ = False
    scheduler_fixture = ""
    #: extra command-line options for workflow runs
    workflow_args: List[str] = []

    # ------------------------------------------------------------------ fixtures
    @pytest.fixture
    def scheduler(self, request: pytest.FixtureRequest, use_scheduler: Any) -> Scheduler:
        return use_scheduler(request.getfixturevalue(self.scheduler_fixture))

    @pytest.fixture
    def shared(self, scheduler: Scheduler) -> Iterator[Path]:
        path = scheduler.shared_dir("test")
        yield path
        shutil.rmtree(path, ignore_errors=True)

    @pytest.fixture
    def make_batch_system(self, scheduler: Scheduler, shared: Path) -> Iterator[Any]:
        from toil_core.plugins.registry import get_batch_system_class
        from toil_core.testing import make_config

        made: List[Any] = []

        def make(**values: Any) -> Any:
            work = shared / "work"
            work.mkdir(exist_ok=True)
            config = make_config(work, batchSystem=scheduler.name, batch_logs_dir=str(shared / "logs"),
                                 statePollingWait=0.5, **values)
            (shared / "logs").mkdir(exist_ok=True)
            (shared / "logs").chmod(0o777)
            system = get_batch_system_class(scheduler.name)(config, 4, 8 * 2**30, 8 * 2**30)
            made.append(system)
            return system

        yield make
        for system in made:
            system.shutdown()

    def job(self, **kwargs: Any) -> Any:
        from toil_core.testing import make_job_description

        kwargs.setdefault("memory", 100 * 2**20)
        return make_job_description(**kwargs)

    # ------------------------------------------------------------------ scheduler specifics
    def requested(self, scheduler: Scheduler, scheduler_id: str) -> Dict[str, Any]:
        """What the scheduler recorded for a job: {"cores": int, "memory_mib": int, "text": str}."""
        raise NotImplementedError

    def scheduler_id_of(self, batch_system: Any, batch_id: int) -> str:
        with batch_system._cond:
            return batch_system._jobs[batch_id].scheduler_id

    # ------------------------------------------------------------------ the batch system directly
    def test_shell_command_exit_codes_and_logs(self, make_batch_system: Any, shared: Path) -> None:
        bs = make_batch_system()
        ok = bs.issueBatchJob("echo to-stdout; echo to-stderr >&2", self.job())
        bad = bs.issueBatchJob("exit 7", self.job())
        first, second = wait_for(bs, ok), wait_for(bs, bad)
        assert (first.exitStatus, first.exitReason) == (0, BatchJobExitReason.FINISHED)
        assert (second.exitStatus, second.exitReason) == (7, BatchJobExitReason.FAILED)
        assert first.wallTime is not None and first.wallTime >= 0
        logs = {p.name: p for p in (shared / "logs").iterdir()}
        out = [n for n in logs if re.fullmatch(rf"toil_job_{ok}_batch_{type(bs).__name__}_\S+_std_output\.log", n)]
        err = [n for n in logs if re.fullmatch(rf"toil_job_{ok}_batch_{type(bs).__name__}_\S+_std_error\.log", n)]
        assert out and err, f"no batch logs for job {ok} in {sorted(logs)}"
        assert "to-stdout" in logs[out[0]].read_text()
        assert "to-stderr" in logs[err[0]].read_text()

    def test_job_environment_reaches_the_job(self, make_batch_system: Any, shared: Path) -> None:
        bs = make_batch_system()
        bs.setEnv("TOIL_HPC_SET_ENV", "from setEnv")
        target = shared / "env.txt"
        job_id = bs.issueBatchJob(f'echo "$TOIL_HPC_JOB_ENV|$TOIL_HPC_SET_ENV" > {target}', self.job(),
                                  {"TOIL_HPC_JOB_ENV": "it's \"quoted\" & spaced"})
        assert wait_for(bs, job_id).exitStatus == 0
        assert target.read_text().strip() == "it's \"quoted\" & spaced|from setEnv"

    def test_cores_and_memory_are_requested(self, make_batch_system: Any, scheduler: Scheduler) -> None:
        bs = make_batch_system()
        job_id = bs.issueBatchJob("sleep 20", self.job(cores=2, memory=700 * 2**20))
        deadline = time.time() + 60
        while self.scheduler_id_of(bs, job_id) is None and time.time() < deadline:
            time.sleep(0.2)
        recorded = self.requested(scheduler, self.scheduler_id_of(bs, job_id))
        bs.killBatchJobs([job_id])
        assert recorded["cores"] == 2, recorded["text"]
        assert recorded["memory_mib"] >= 700, recorded["text"]

    def test_kill_a_running_job(self, make_batch_system: Any, shared: Path) -> None:
        bs = make_batch_system()
        pid_file = shared / "killed.pid"
        job_id = bs.issueBatchJob(f"echo $$ > {pid_file}.tmp && mv {pid_file}.tmp {pid_file}; exec sleep 120",
                                  self.job())
        deadline = time.time() + 120
        while not pid_file.exists():
            assert time.time() < deadline, "the job never ran"
            time.sleep(0.2)
        pid = int(pid_file.read_text())
        bs.killBatchJobs([job_id])
        assert job_id not in bs.getIssuedBatchJobIDs()
        deadline = time.time() + 60
        while _process_alive(pid):
            assert time.time() < deadline, f"the killed job (process {pid}) kept running"
            time.sleep(0.2)
        # A job issued after the kill has finished: any report of the killed job would have come by now.
        other = bs.issueBatchJob("true", self.job())
        assert wait_for(bs, other).exitStatus == 0
        early = bs.__dict__.get("_test_early_updates", {})
        assert job_id not in early, "a killed job was reported"
        while (update := bs.getUpdatedBatchJob(0)) is not None:
            assert update.jobID != job_id, "a killed job was reported"

    # ------------------------------------------------------------------ workflows
    def run_workflow(self, scheduler: Scheduler, script: Path, cwd: Path, *args: str,
                     timeout: float = 600, background: bool = False) -> Any:
        if script.parent != cwd:
            shutil.copy(script, cwd / script.name)
        return scheduler.run_python([script.name, f"file:{cwd / 'jobstore'}", "--batchSystem", scheduler.name,
                                     "--batchLogsDir", str(cwd / "batchlogs"), *self.workflow_args, *args],
                                    cwd=cwd, timeout=timeout, background=background)

    @pytest.mark.parametrize("tutorial", sorted(TUTORIALS))
    def test_tutorial(self, scheduler: Scheduler, shared: Path, tutorial: str) -> None:
        script = tutorial_copy(tutorial, shared)
        if tutorial == "tutorial_multiplejobs.py":
            proc = self.run_workflow(scheduler, script, shared)
        else:  # these make their own job store with tempfile.mkdtemp (TMPDIR is in the shared dir)
            proc = scheduler.run_python([script.name, "--batchSystem", scheduler.name, "--batchLogsDir",
                                         str(shared / "batchlogs"), *self.workflow_args], cwd=shared)
        assert proc.returncode == 0, describe(proc)
        for line in TUTORIALS[tutorial]:
            assert line in proc.stderr + proc.stdout, describe(proc)
        assert "Traceback" not in proc.stderr, describe(proc)
        assert list((shared / "batchlogs").glob("toil_job_*_std_output.log")), "no job ran through the scheduler"

    def test_job_killed_by_the_scheduler_is_retried(self, scheduler: Scheduler, shared: Path) -> None:
        markers = shared / "markers"
        markers.mkdir()
        markers.chmod(0o777)
        proc = self.run_workflow(scheduler, WORKFLOWS / "retry_after_kill.py", shared, "--markerDir", str(markers),
                                 background=True)
        first = markers / "attempt-1.json"
        deadline = time.time() + 180
        while not first.exists():
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail("the first attempt never started\n" + describe(finish(proc, 30)))
            time.sleep(0.3)
        scheduler_id = json.loads(first.read_text())["scheduler_id"]
        assert scheduler_id, "the job does not know its scheduler job ID"
        killed = subprocess.run(scheduler.kill(scheduler_id), capture_output=True, text=True,
                                env={**os.environ, **scheduler.env})
        assert killed.returncode == 0, killed.stderr
        result = finish(proc, 300)
        assert result.returncode == 0, describe(result)
        assert "finished after 2 attempts" in result.stdout, describe(result)
        assert "Exit reason: KILLED" in result.stderr, describe(result)

    def test_job_over_its_memory_limit_fails_clearly(self, scheduler: Scheduler, shared: Path) -> None:
        if scheduler.memory_limit_note:
            pytest.skip(f"{scheduler.name}: {scheduler.memory_limit_note} (tested in its own module)")
        proc = self.run_workflow(scheduler, WORKFLOWS / "memory_hog.py", shared, "--hogMiB", "900",
                                 "--jobMemory", "300M", "--retryCount", "0")
        assert proc.returncode != 0, describe(proc)
        assert re.search(r"exceeded its memory limit of \d+ MiB", proc.stderr), describe(proc)
        assert "Exit reason: MEMLIMIT" in proc.stderr, describe(proc)

    def test_double_mem_resubmits_with_more_memory(self, scheduler: Scheduler, shared: Path) -> None:
        if scheduler.memory_limit_note:
            pytest.skip(f"{scheduler.name}: {scheduler.memory_limit_note}")
        proc = self.run_workflow(scheduler, WORKFLOWS / "memory_hog.py", shared, "--hogMiB", "450",
                                 "--jobMemory", "300M", "--hogSeconds", "25", "--retryCount", "0", "--doubleMem")
        assert proc.returncode == 0, describe(proc)
        assert "--doubleMem: resubmitting" in proc.stderr, describe(proc)
        assert "the job held 450 MiB" in proc.stdout, describe(proc)


def optional(text: Optional[str], pattern: str, default: int = 0) -> int:
    match = re.search(pattern, text or "")
    return int(match.group(1)) if match else default
