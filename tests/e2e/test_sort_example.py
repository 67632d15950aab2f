"""Acceptance tests for the merge-sort example of section 2.4 of the Toil 5.10 manual.

2.4.1 Running the example (with custom options)::

    python sort.py file:jobStore --numLines=5000 --lineLength=10 --overwriteOutput=True --workDir=/tmp/

2.4.4 Error Handling and Resuming Pipelines: add ``assert 1 == 2, "Test error!"`` as
the first line of ``down()``, run (fails, shows the worker log with the traceback),
rerun with ``--restart`` and ``--retryCount 2`` (still fails), remove the bad line and
rerun with ``--restart --overwriteOutput=True``: the pipeline succeeds and the job
store is removed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"
WORKER_LOG_MARKER = "---TOIL WORKER OUTPUT LOG---"
INJECTED_BUG = 'assert 1 == 2, "Test error!"'
#: The first statement of down() in sort.py (right after its docstring).
DOWN_FIRST_STATEMENT = '    RealtimeLogger.info("Down job starting: %s" % path)\n'


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


def read_lines(path: Path) -> list:
    with open(path) as fh:
        return fh.read().splitlines()


def assert_sorted_copy(cwd: Path, expected_lines: int, line_length: int) -> None:
    original = read_lines(cwd / "fileToSort.txt")
    assert len(original) == expected_lines
    assert all(len(line) == line_length for line in original)
    output = cwd / "sortedFile.txt"
    assert output.exists(), "sortedFile.txt was not exported"
    result = read_lines(output)
    assert len(result) == len(original)
    assert result == sorted(original)


# --------------------------------------------------------------------------------------------------
# 2.4.1 step 3: run with custom options
# --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_sort_with_custom_options_writes_sorted_file(run_script, tmp_path):
    work_dir = tmp_path / "work"
    work_dir.mkdir()
    proc = run_script(
        "sort.py",
        "file:jobStore",
        "--numLines=5000",
        "--lineLength=10",
        "--overwriteOutput=True",
        f"--workDir={work_dir}",
        timeout=600,
    )
    assert_success(proc)
    generated = "No sort file specified. Generating one automatically called: fileToSort.txt."
    assert generated in proc.stdout, describe(proc)
    assert_sorted_copy(tmp_path, expected_lines=5000, line_length=10)
    assert not (tmp_path / "jobStore").exists(), "the job store is removed when the pipeline succeeds"


# --------------------------------------------------------------------------------------------------
# 2.4.4 Error Handling and Resuming Pipelines
# --------------------------------------------------------------------------------------------------

WALKTHROUGH_LINES = 2000
WALKTHROUGH_LINE_LENGTH = 10


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory, script_runner):
    """Runs the whole 2.4.4 walkthrough once; the tests below check each step."""
    cwd = tmp_path_factory.mktemp("sort_walkthrough")
    script = cwd / "sort.py"
    source = (SCRIPTS_DIR / "sort.py").read_text()
    assert source.count(DOWN_FIRST_STATEMENT) == 1, "sort.py changed: cannot find the first line of down()"

    # Add a bad assertion as the first line of down().
    script.write_text(source.replace(DOWN_FIRST_STATEMENT, f"    {INJECTED_BUG}\n" + DOWN_FIRST_STATEMENT))
    jobstore = cwd / "jobStore"

    broken = script_runner(
        script,
        "file:jobStore",
        f"--numLines={WALKTHROUGH_LINES}",
        f"--lineLength={WALKTHROUGH_LINE_LENGTH}",
        cwd=cwd,
        timeout=600,
    )
    kept_after_failure = jobstore.exists()

    retried = script_runner(
        script,
        "file:jobStore",
        "--retryCount",
        "2",
        "--restart",
        "--overwriteOutput=True",
        cwd=cwd,
        timeout=600,
    )

    # "edit our script to comment out [the bad line], or remove it"
    script.write_text(source)
    fixed = script_runner(
        script, "file:jobStore", "--restart", "--overwriteOutput=True", cwd=cwd, timeout=600
    )

    return SimpleNamespace(
        cwd=cwd,
        jobstore=jobstore,
        broken=broken,
        kept_after_failure=kept_after_failure,
        retried=retried,
        fixed=fixed,
    )


@pytest.mark.slow
def test_sort_injected_error_fails_with_worker_traceback(walkthrough):
    proc = walkthrough.broken
    assert proc.returncode != 0, describe(proc)
    assert WORKER_LOG_MARKER in proc.stderr, describe(proc)
    assert "AssertionError: Test error!" in proc.stderr, describe(proc)
    assert walkthrough.kept_after_failure, "the job store is preserved after a failure"


@pytest.mark.slow
def test_sort_restart_with_retry_count_reruns_failed_job_until_out_of_tries(walkthrough):
    proc = walkthrough.retried
    assert proc.returncode != 0, describe(proc)
    assert WORKER_LOG_MARKER in proc.stderr, describe(proc)
    # --retryCount 2: the failing job is tried 3 times, each failed try reported, i.e. more often than
    # in the first run (default --retryCount 1: 2 tries). Its traceback is shown once; a retry that
    # fails with the same log says so instead of printing it again.
    tries = proc.stderr.count("Job failed with exit value")
    tries_first_run = walkthrough.broken.stderr.count("Job failed with exit value")
    assert tries >= 3 and tries > tries_first_run, describe(proc)
    assert proc.stderr.count("AssertionError: Test error!") >= 1, describe(proc)
    assert proc.stderr.count("failed again, with the same log as its previous attempt") >= 2, describe(proc)


@pytest.mark.slow
def test_sort_restart_after_fix_completes_and_removes_job_store(walkthrough):
    proc = walkthrough.fixed
    assert_success(proc)
    assert_sorted_copy(walkthrough.cwd, expected_lines=WALKTHROUGH_LINES, line_length=WALKTHROUGH_LINE_LENGTH)
    assert not walkthrough.jobstore.exists(), "the job store is removed on the pipeline's completion"
