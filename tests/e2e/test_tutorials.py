"""Acceptance tests: the workflow examples of the Toil 5.10 manual run unchanged.

Chapter 12 "Developing a Python Workflow" (sections 12.1 - 12.16), plus the
"Running a basic workflow" example of section 2.1 (``helloWorld.py``).

Each script in ``scripts/`` is run as a subprocess exactly as a user would run
it (``python <script> [jobstore] [options]``) from a fresh temporary directory;
the assertions check what the manual says the example prints or produces.
Leader log output (``job.log()`` messages, failure reports) is checked on
stderr, where the leader logs (INFO level by default).
"""

from __future__ import annotations

import ast
import py_compile
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"
#: Must match conftest.TMPDIR_NAME: the scripts run with TMPDIR=<cwd>/tmpdir.
TMPDIR_NAME = "tmpdir"
WORKER_LOG_MARKER = "---TOIL WORKER OUTPUT LOG---"


def describe(proc: subprocess.CompletedProcess, limit: int = 8000) -> str:
    """Human-readable summary of a finished run, for assertion messages."""
    return (
        f"command: {' '.join(map(str, proc.args))}\n"
        f"exit code: {proc.returncode}\n"
        f"--- stdout (tail) ---\n{proc.stdout[-limit:]}\n"
        f"--- stderr (tail) ---\n{proc.stderr[-limit:]}"
    )


def assert_success(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, "workflow failed\n" + describe(proc)


def stdout_lines(proc: subprocess.CompletedProcess) -> list:
    return [line.rstrip("\r") for line in proc.stdout.splitlines()]


def count_lines_containing(text: str, needle: str) -> int:
    return sum(1 for line in text.splitlines() if needle in line)


def leftover_job_stores(cwd: Path, suffix: str) -> list:
    """Job stores made by ``tempfile.mkdtemp(suffix)`` (TMPDIR points into the test dir)."""
    tmpdir = cwd / TMPDIR_NAME
    if not tmpdir.exists():
        return []
    return sorted(p.name for p in tmpdir.iterdir() if p.name.endswith(suffix))


ALL_BINARY_STRINGS_OF_LENGTH_5 = [format(i, "05b") for i in range(32)]


# --------------------------------------------------------------------------------------------------
# Sanity check that needs no engine: every example script is valid Python.
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("script", sorted(p.name for p in SCRIPTS_DIR.glob("*.py")))
def test_script_compiles(script, tmp_path):
    py_compile.compile(str(SCRIPTS_DIR / script), cfile=str(tmp_path / "compiled.pyc"), doraise=True)


# --------------------------------------------------------------------------------------------------
# 2.1 Running a basic workflow: ``python helloWorld.py file:my-job-store``
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def helloworld_run(tmp_path_factory, script_runner):
    cwd = tmp_path_factory.mktemp("helloworld")
    proc = script_runner("helloWorld.py", "file:my-job-store", cwd=cwd)
    return SimpleNamespace(proc=proc, cwd=cwd)


def test_helloworld_prints_root_job_return_value(helloworld_run):
    proc = helloworld_run.proc
    assert_success(proc)
    assert "Hello, world!, here's a message: You did it!" in stdout_lines(proc), describe(proc)


def test_helloworld_clean_always_deletes_relative_file_job_store(helloworld_run):
    assert_success(helloworld_run.proc)
    assert not (helloworld_run.cwd / "my-job-store").exists(), (
        "options.clean = 'always' must delete the job store"
    )


# --------------------------------------------------------------------------------------------------
# 12.1 Scripting Quick Start (repeated in 12.6): tutorial_quickstart.py
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quickstart_run(tmp_path_factory, script_runner):
    cwd = tmp_path_factory.mktemp("quickstart")
    proc = script_runner("tutorial_quickstart.py", cwd=cwd)
    return SimpleNamespace(proc=proc, cwd=cwd)


def test_quickstart_prints_wrapped_function_return_value(quickstart_run):
    proc = quickstart_run.proc
    assert_success(proc)
    assert "Hello, world!, here's a message: Woot" in stdout_lines(proc), describe(proc)


def test_quickstart_clean_always_deletes_job_store(quickstart_run):
    assert_success(quickstart_run.proc)
    assert leftover_job_stores(quickstart_run.cwd, "tutorial_quickstart") == []


def test_quickstart_log_level_off_silences_the_leader_log(quickstart_run):
    proc = quickstart_run.proc
    assert_success(proc)
    assert proc.stderr.strip() == "", (
        "options.logLevel = 'OFF' should produce no log output\n" + describe(proc)
    )


# --------------------------------------------------------------------------------------------------
# 12.2 Job Basics: class-based job that reports with Job.log()
# --------------------------------------------------------------------------------------------------


def test_jobbasics_job_log_message_reaches_leader_log(run_script):
    proc = run_script("tutorial_jobbasics.py")
    assert_success(proc)
    assert "Hello, world! Here's a message: Woot" in proc.stderr, describe(proc)


# --------------------------------------------------------------------------------------------------
# 12.3 Invoking a Workflow
# --------------------------------------------------------------------------------------------------


def test_invokeworkflow_prints_class_job_return_value(run_script):
    proc = run_script("tutorial_invokeworkflow.py")
    assert_success(proc)
    assert "Hello, world!, here's a message: Woot" in stdout_lines(proc), describe(proc)


def test_invokeworkflow2_start_branch_prints_return_value(run_script, tmp_path):
    proc = run_script("tutorial_invokeworkflow2.py")
    assert_success(proc)
    assert "Hello, world!, I have a message: Woot!" in stdout_lines(proc), describe(proc)
    assert leftover_job_stores(tmp_path, "tutorial_invokeworkflow2") == []


# --------------------------------------------------------------------------------------------------
# 12.4 Specifying Commandline Arguments
# --------------------------------------------------------------------------------------------------


def test_arguments_job_store_from_command_line(run_script, jobstore):
    proc = run_script("tutorial_arguments.py", jobstore)
    assert_success(proc)
    assert "Hello, world!, here's a message: Woot" in stdout_lines(proc), describe(proc)
    assert not Path(jobstore).exists(), "options.clean = 'always' must delete the job store"


def test_arguments_help_lists_toil_options(run_script):
    proc = run_script("tutorial_arguments.py", "--help", timeout=120)
    assert proc.returncode == 0, describe(proc)
    for option in ("--restart", "--retryCount", "--logLevel", "--clean", "--workDir", "--batchSystem"):
        assert option in proc.stdout, f"{option} missing from --help\n" + describe(proc)
    assert "jobStore" in proc.stdout, describe(proc)


# --------------------------------------------------------------------------------------------------
# 12.5 Resuming a Workflow (tutorial_restart.py fails until ``fixed.marker`` exists)
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def resume_runs(tmp_path_factory, script_runner):
    cwd = tmp_path_factory.mktemp("resume")
    jobstore = cwd / "jobstore"
    run_log = cwd / "jobRuns.log"
    first = script_runner("tutorial_restart.py", jobstore, cwd=cwd)
    jobstore_kept = jobstore.exists()
    runs_after_first = run_log.read_text().split() if run_log.exists() else []
    again = script_runner("tutorial_restart.py", jobstore, cwd=cwd)
    (cwd / "fixed.marker").write_text("the bug is fixed\n")
    restarted = script_runner("tutorial_restart.py", jobstore, "--restart", cwd=cwd)
    job_runs = run_log.read_text().split() if run_log.exists() else []
    return SimpleNamespace(
        first=first,
        jobstore_kept=jobstore_kept,
        runs_after_first=runs_after_first,
        again=again,
        restarted=restarted,
        job_runs=job_runs,
        jobstore=jobstore,
    )


def test_resume_failing_job_fails_workflow_and_shows_worker_log(resume_runs):
    proc = resume_runs.first
    assert proc.returncode != 0, describe(proc)
    assert WORKER_LOG_MARKER in proc.stderr, describe(proc)
    assert "Deliberate failure: marker file fixed.marker does not exist" in proc.stderr, describe(proc)


def test_resume_failed_workflow_keeps_job_store(resume_runs):
    assert resume_runs.first.returncode != 0, describe(resume_runs.first)
    assert resume_runs.jobstore_kept, "the job store must survive a failed run (default --clean onSuccess)"


def test_resume_rerun_without_restart_is_refused(resume_runs):
    proc = resume_runs.again
    assert proc.returncode != 0, describe(proc)
    output = proc.stdout + proc.stderr
    assert "already exists" in output, describe(proc)
    assert "--restart" in output, describe(proc)


def test_resume_restart_after_fix_succeeds(resume_runs):
    proc = resume_runs.restarted
    assert_success(proc)
    assert "The resumed workflow finished" in stdout_lines(proc), describe(proc)
    assert not resume_runs.jobstore.exists(), "a successful run deletes the job store (--clean onSuccess)"


def test_resume_other_jobs_keep_running_when_one_fails(resume_runs):
    assert resume_runs.first.returncode != 0, describe(resume_runs.first)
    assert resume_runs.runs_after_first.count("steady") == 1, resume_runs.runs_after_first


def test_resume_restart_does_not_rerun_completed_jobs(resume_runs):
    assert_success(resume_runs.restarted)
    runs = resume_runs.job_runs
    assert runs.count("setup") == 1, f"the completed root job was rerun: {runs}"
    assert runs.count("steady") == 1, f"the completed sibling job was rerun: {runs}"
    assert runs.count("fragile") >= 2 and runs[-1] == "fragile", runs


# --------------------------------------------------------------------------------------------------
# 12.6 Functions and Job Functions
# --------------------------------------------------------------------------------------------------


def test_jobfunctions_job_log_message_reaches_leader_log(run_script):
    proc = run_script("tutorial_jobfunctions.py")
    assert_success(proc)
    assert "Hello world, I have a message: Woot!" in proc.stderr, describe(proc)


# --------------------------------------------------------------------------------------------------
# 12.7 Workflows with Multiple Jobs: same four jobs built three ways
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "script", ["tutorial_multiplejobs.py", "tutorial_multiplejobs2.py", "tutorial_multiplejobs3.py"]
)
def test_multiplejobs_every_job_runs_once(run_script, jobstore, script):
    proc = run_script(script, jobstore)
    assert_success(proc)
    prefix = "Hello world, I have a message: "
    assert count_lines_containing(proc.stderr, prefix + "first") == 1, describe(proc)
    assert count_lines_containing(proc.stderr, prefix + "second or third") == 2, describe(proc)
    assert count_lines_containing(proc.stderr, prefix + "last") == 1, describe(proc)


# --------------------------------------------------------------------------------------------------
# 12.8 Dynamic Job Creation: 2^5 leaves log every binary string of length 5
# --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_dynamic_logs_all_binary_strings(run_script):
    proc = run_script("tutorial_dynamic.py")
    assert_success(proc)
    found = re.findall(r"Binary string: ([01]+)", proc.stderr)
    assert sorted(found) == ALL_BINARY_STRINGS_OF_LENGTH_5, describe(proc)


# --------------------------------------------------------------------------------------------------
# 12.9 Promises
# --------------------------------------------------------------------------------------------------


def test_promises_values_flow_between_jobs(run_script):
    proc = run_script("tutorial_promises.py")
    assert_success(proc)
    for i in (1, 2, 3):
        assert count_lines_containing(proc.stderr, f"i is: {i}") == 1, describe(proc)


def test_promises_indexing_passes_selected_element(run_script, jobstore):
    # raiseWrap(indexable.rv(2)) raises RuntimeError(2): the workflow fails, reporting "2".
    proc = run_script("tutorial_promises_indexing.py", jobstore, "--retryCount", "0")
    assert proc.returncode != 0, describe(proc)
    assert WORKER_LOG_MARKER in proc.stderr, describe(proc)
    assert "RuntimeError: 2" in proc.stderr, describe(proc)


@pytest.mark.slow
def test_promises2_returns_all_binary_strings(run_script):
    proc = run_script("tutorial_promises2.py")
    assert_success(proc)
    lines = stdout_lines(proc)
    assert lines, describe(proc)
    assert ast.literal_eval(lines[-1]) == ALL_BINARY_STRINGS_OF_LENGTH_5, describe(proc)


# --------------------------------------------------------------------------------------------------
# 12.10 Promised Requirements
# --------------------------------------------------------------------------------------------------


def test_requirements_promised_disk_requirement(run_script, tmp_path):
    proc = run_script("tutorial_requirements.py")
    assert_success(proc)
    assert "Traceback" not in proc.stderr, describe(proc)
    assert leftover_job_stores(tmp_path, "tutorial_requirements") == []


def test_requirements2_promised_requirement_from_aggregated_values(run_script, tmp_path):
    proc = run_script("tutorial_requirements2.py")
    assert_success(proc)
    assert "Traceback" not in proc.stderr, describe(proc)
    assert leftover_job_stores(tmp_path, "tutorial_requirements2") == []


# --------------------------------------------------------------------------------------------------
# 12.12 Managing files within a workflow
# --------------------------------------------------------------------------------------------------


def test_managing_local_temp_files_with_disk_requirement(run_script, tmp_path):
    proc = run_script("tutorial_managing.py")
    assert_success(proc)
    assert "Traceback" not in proc.stderr, describe(proc)
    assert leftover_job_stores(tmp_path, "tutorial_managing") == []


def test_managing2_global_file_store_methods(run_script):
    proc = run_script("tutorial_managing2.py")
    assert_success(proc)
    assert (
        "The following example exercises all the methods provided by the "
        "toil.fileStores.abstractFileStore.AbstractFileStore class" in proc.stderr
    ), describe(proc)
    assert "Traceback" not in proc.stderr, describe(proc)


# 12.12.1 Staging of Files into the Job Store


def test_staging_import_and_export(run_script, tmp_path):
    files = tmp_path / "stagingExampleFiles"
    files.mkdir()
    (files / "in.txt").write_text("Hello, ")
    proc = run_script("tutorial_staging.py")
    assert_success(proc)
    out = files / "out.txt"
    assert out.exists(), describe(proc)
    assert out.read_text() == "Hello, World!"


# --------------------------------------------------------------------------------------------------
# 12.13 Using Docker Containers in Toil
# --------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("client", ["podman", "docker-cli-on-podman-api"])
def test_docker_api_docker_call_job(run_script, tmp_path, client):
    """The manual's script unchanged, on a real engine (tests/support/docker_engine.py; its 'ubuntu' is a
    local busybox image, as nothing can be pulled here)."""
    from docker_engine import docker_clients

    with docker_clients(tmp_path / "engine") as clients:
        if client not in clients:
            pytest.skip("no docker client installed on this machine")
        proc = run_script("tutorial_docker.py", timeout=600, env={"TOIL_DOCKER_COMMAND": clients[client]})
    assert_success(proc)


# --------------------------------------------------------------------------------------------------
# 12.14 Services
# --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_services_workflow_with_service_completes(run_script, tmp_path):
    proc = run_script("tutorial_services.py")
    assert_success(proc)
    assert "Traceback" not in proc.stderr, describe(proc)
    assert leftover_job_stores(tmp_path, "tutorial_services") == []


# --------------------------------------------------------------------------------------------------
# 12.15 Checkpoints
# --------------------------------------------------------------------------------------------------


def test_checkpoint_job_rerun_after_successor_fails(run_script, jobstore, tmp_path):
    proc = run_script("tutorial_checkpoints.py", jobstore, "--retryCount", "1")
    assert_success(proc)
    assert "The checkpoint job ran 2 times" in stdout_lines(proc), describe(proc)
    assert "Successor defined by checkpoint run 2 succeeded" in proc.stderr, describe(proc)
    assert "Successor defined by checkpoint run 1 succeeded" not in proc.stderr, describe(proc)


# --------------------------------------------------------------------------------------------------
# 12.16 Encapsulation (both variants return the root's value: None)
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("script", ["tutorial_encapsulation.py", "tutorial_encapsulation2.py"])
def test_encapsulation_workflow_prints_none(run_script, script):
    proc = run_script(script)
    assert_success(proc)
    lines = stdout_lines(proc)
    assert lines and lines[-1] == "None", describe(proc)



# --------------------------------------------------------------------------------------------------
# 7.5 Stats Command (the manual: --stats keeps the job store even with clean='always'; upstream 5.10
# code refuses that combination instead, this engine follows the manual): ``python discoverfiles.py file:my-jobstore --stats`` then ``toil stats`` / ``toil clean``
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def discoverfiles_runs(tmp_path_factory, script_runner, toil_command, toil_cli_path):
    cwd = tmp_path_factory.mktemp("discoverfiles")
    proc = script_runner("discoverfiles.py", "file:my-jobstore", "--stats", cwd=cwd)
    kept = (cwd / "my-jobstore").exists()
    have_cli = toil_cli_path.exists()
    stats = toil_command("stats", "file:my-jobstore", cwd=cwd, timeout=120) if have_cli and kept else None
    clean = toil_command("clean", "file:my-jobstore", cwd=cwd, timeout=120) if have_cli and kept else None
    return SimpleNamespace(
        proc=proc,
        kept=kept,
        cli=toil_cli_path,
        have_cli=have_cli,
        stats=stats,
        clean=clean,
        removed=not (cwd / "my-jobstore").exists(),
    )


def test_discoverfiles_stats_keeps_job_store_despite_clean_always(discoverfiles_runs):
    assert_success(discoverfiles_runs.proc)
    assert discoverfiles_runs.kept, "--stats must keep the job store even with options.clean = 'always'"


def test_discoverfiles_toil_stats_reports_jobs_by_display_name(discoverfiles_runs):
    assert_success(discoverfiles_runs.proc)
    assert discoverfiles_runs.have_cli, f"no `toil` command next to the interpreter ({discoverfiles_runs.cli})"
    stats = discoverfiles_runs.stats
    assert stats is not None and stats.returncode == 0, describe(stats) if stats else "job store missing"
    output = stats.stdout + stats.stderr
    for name in ("sysFiles", "userFiles", "discoverFiles"):
        assert name in output, describe(stats)


def test_discoverfiles_toil_clean_removes_job_store(discoverfiles_runs):
    assert_success(discoverfiles_runs.proc)
    assert discoverfiles_runs.have_cli, f"no `toil` command next to the interpreter ({discoverfiles_runs.cli})"
    clean = discoverfiles_runs.clean
    assert clean is not None and clean.returncode == 0, describe(clean) if clean else "job store missing"
    assert discoverfiles_runs.removed
