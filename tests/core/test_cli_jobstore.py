"""``toil stats``, ``status``, ``clean``, ``debug-job`` and ``debug-file`` on the job stores of real
(tiny) workflows run as subprocesses."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workflows.harness import cli_env, describe, run_source
from workflows.harness import toil_cli as toil

STATS_WORKFLOW = '''
from toil.common import Toil
from toil.job import Job


class Named(Job):
    def __init__(self, n, *args, **kwargs):
        self.n = n
        super().__init__(*args, **kwargs)

    def run(self, fileStore):
        return sum(range(self.n))


if __name__ == "__main__":
    options = Job.Runner.getDefaultArgumentParser().parse_args()
    first = Named(1000, displayName="alphaJob")
    second = Named(2000, displayName="betaJob")
    third = Named(3000)
    first.addChild(second)
    second.addChild(third)
    fourth = Named(10, displayName="betaJob")
    first.addFollowOn(fourth)
    with Toil(options) as toil:
        toil.start(first)
'''

FAILING_WORKFLOW = '''
import os
from toil.common import Toil
from toil.job import Job


def ok(job, x):
    print("ok job ran %s" % x)
    return x


def boom(job):
    print("about to fail")
    raise RuntimeError("deliberate failure 42")


def root(job):
    path = os.path.join(job.tempDir, "overview.txt")
    with open(path, "w") as handle:
        handle.write("overview contents\\n")
    job.fileStore.writeGlobalFile(path)
    job.addChildJobFn(boom)
    job.addChildJobFn(ok, 1)
    job.addFollowOnJobFn(ok, 2)


if __name__ == "__main__":
    options = Job.Runner.getDefaultArgumentParser().parse_args()
    with Toil(options) as toil:
        toil.start(Job.wrapJobFn(root))
'''


def jobs_of(store: Path) -> dict:
    from toil_core.jobstores.locator import open_job_store

    return {(j.displayName or j.jobName): j for j in open_job_store(str(store)).jobs()}


@pytest.fixture(scope="module")
def stats_store(tmp_path_factory):
    base = tmp_path_factory.mktemp("stats")
    proc = run_source(base, STATS_WORKFLOW, "--stats", store="file:js")
    assert proc.returncode == 0, describe(proc)
    assert (base / "js").is_dir(), "--stats must keep the job store"
    return base


@pytest.fixture(scope="module")
def failed_store(tmp_path_factory):
    base = tmp_path_factory.mktemp("failed")
    proc = run_source(base, FAILING_WORKFLOW, "--retryCount", "0", store="js")
    assert proc.returncode != 0, describe(proc)
    return base


# ------------------------------------------------------------------------------------- stats
def test_stats_table(stats_store):
    proc = toil(stats_store, "stats", "file:js")
    assert proc.returncode == 0, describe(proc)
    lines = proc.stdout.splitlines()
    assert lines[0] == "Batch System: single_machine"
    assert re.fullmatch(r"Default Cores: 1  Default Memory: \d+K", lines[1])
    assert lines[2].startswith("Max Cores: ")
    assert re.fullmatch(r"Total Clock: \d+\.\d\d  Total Runtime: \d+\.\d\d", lines[3])
    for block in ("Worker", "Job", "alphaJob", "betaJob", "Named"):
        assert block in lines, block
    assert any(re.match(r"\s*Count \|\s+Time\* \|\s+Clock \|\s+Wait \|\s+Memory$", line) for line in lines)
    assert any(re.match(r"\s*n \|\s+min\s+med\*\s+ave\s+max\s+total \|", line) for line in lines)
    assert any(line.strip().startswith("Worker Jobs") for line in lines)
    beta_row = lines[lines.index("betaJob") + 3]
    assert beta_row.split("|")[0].strip() == "2"
    assert re.search(r"\d+K\s*$", beta_row), beta_row


def test_stats_raw_json(stats_store):
    proc = toil(stats_store, "stats", "js", "--raw")
    assert proc.returncode == 0, describe(proc)
    data = json.loads(proc.stdout)
    assert data["job"]["count"] == 4
    counts = {name: t["count"] for name, t in data["job_types"].items()}
    assert counts == {"alphaJob": 1, "betaJob": 2, "Named": 1}
    assert data["worker"]["count"] >= 1
    assert sum(1 for _ in data["job_types"]) == 3
    for category in ("time", "clock", "wait", "memory"):
        summary = data["job"][category]
        assert summary["min"] <= summary["med"] <= summary["max"] <= summary["total"] + 1e-9
    assert data["job"]["memory"]["max"] > 0
    assert data["default_memory"] > 0 and data["batch_system"] == "single_machine"


def test_stats_options(stats_store, tmp_path):
    out = tmp_path / "report.txt"
    proc = toil(stats_store, "stats", "js", "--sortCategory", "alpha", "--sortReverse",
                "--categories", "time,memory", "--pretty", "--outputFile", str(out))
    assert proc.returncode == 0, describe(proc)
    text = out.read_text()
    names = [line for line in text.splitlines() if line in ("alphaJob", "betaJob", "Named")]
    assert names == sorted(names, reverse=True)
    headers = [line for line in text.splitlines() if "Count |" in line]
    assert headers and all("Clock" not in h and "Wait" not in h and "Memory" in h for h in headers)
    count = toil(stats_store, "stats", "js", "--sortCategory", "count", "--raw")
    assert list(json.loads(count.stdout)["job_types"])[-1] == "betaJob"
    bad = toil(stats_store, "stats", "js", "--categories", "time,bogus")
    assert bad.returncode == 2


def test_stats_without_stats_option(failed_store):
    proc = toil(failed_store, "stats", "js")
    assert proc.returncode == 1
    assert "--stats" in proc.stderr


def test_stats_missing_store(tmp_path):
    proc = toil(tmp_path, "stats", "nothere")
    assert proc.returncode == 1 and "No job store found" in proc.stderr


# ------------------------------------------------------------------------------------- status
def test_status_of_finished_workflow(stats_store):
    proc = toil(stats_store, "status", "js", "--failIfNotComplete", "--printStatus")
    assert proc.returncode == 0, describe(proc)
    assert "The root job of the job store is absent, the workflow completed successfully." in proc.stdout
    assert "COMPLETED" in proc.stdout


def test_status_of_missing_store(tmp_path):
    proc = toil(tmp_path, "status", "nothere")
    assert proc.returncode == 0 and proc.stdout.strip() == "No job store found."
    assert toil(tmp_path, "status", "nothere", "--failIfNotComplete").returncode == 1


def test_status_of_failed_workflow(failed_store):
    proc = toil(failed_store, "status", "js")
    assert proc.returncode == 0, describe(proc)
    match = re.search(r"Of the (\d+) jobs considered, there are (\d+) jobs with children, "
                      r"(\d+) jobs ready to run, (\d+) zombie jobs, (\d+) jobs with services, "
                      r"(\d+) services, and (\d+) jobs with log files currently in js\.", proc.stdout)
    assert match, proc.stdout
    total, children, ready, zombies, with_services, services, logs = map(int, match.groups())
    assert (total, children, ready, with_services, services, logs) == (3, 1, 2, 0, 0, 1)
    assert zombies == 0


def test_status_print_logs_and_fail_if_not_complete(failed_store):
    proc = toil(failed_store, "status", "js", "--printLogs", "--failIfNotComplete", "--printChildren",
                "--printPerJobStats", "--printStatus")
    assert proc.returncode == 1, describe(proc)
    assert "Traceback" in proc.stdout and "deliberate failure 42" in proc.stdout
    assert "about to fail" in proc.stdout
    assert "Workflow status: ERROR" in proc.stdout
    assert "TRIES_REMAINING: 0" in proc.stdout
    assert "follow-on:" in proc.stdout


def test_status_print_dot(failed_store):
    proc = toil(failed_store, "status", "js", "--printDot", "--noAggStats")
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.startswith("digraph")
    assert proc.stdout.rstrip().endswith("}")
    assert "->" in proc.stdout and "Of the" not in proc.stdout
    boom = jobs_of(failed_store / "js")["boom"].jobStoreID
    only = toil(failed_store, "status", "js", "--printDot", "--noAggStats", "--jobs", boom)
    assert only.stdout.startswith("digraph") and boom in only.stdout and "->" not in only.stdout


def test_status_api(failed_store, stats_store, tmp_path):
    from toil_core.cli.status import ToilStatus

    assert ToilStatus.getStatus(str(failed_store / "js")) == "ERROR"
    assert ToilStatus.getStatus(str(stats_store / "js")) == "COMPLETED"
    assert ToilStatus.getStatus(str(tmp_path / "none")) == "QUEUED"
    status = ToilStatus(str(failed_store / "js"))
    assert status.fetchRootJob().jobName == "root"
    report = status.report_on_jobs()
    assert [j.jobName for j in report["hasLogFile"]] == ["boom"]


# ------------------------------------------------------------------------------------- clean
def test_clean_removes_the_store(tmp_path):
    proc = run_source(tmp_path, STATS_WORKFLOW, "--clean", "never", store="js")
    assert proc.returncode == 0, describe(proc)
    assert (tmp_path / "js").is_dir()
    clean = toil(tmp_path, "clean", "file:js")
    assert clean.returncode == 0, describe(clean)
    assert not (tmp_path / "js").exists()
    again = toil(tmp_path, "clean", "js")
    assert again.returncode == 0
    assert "does not exist" in again.stderr


# ------------------------------------------------------------------------------------- debug-job
def test_debug_job_reruns_failed_job_in_process(tmp_path):
    proc = run_source(tmp_path, FAILING_WORKFLOW, "--retryCount", "0", store="js")
    assert proc.returncode != 0
    jobs = jobs_of(tmp_path / "js")
    boom, follow_on = jobs["boom"], jobs["ok"]

    info = toil(tmp_path, "debug-job", "js", boom.jobStoreID, "--printJobInfo")
    assert info.returncode == 0, describe(info)
    assert "remainingTryCount: 0" in info.stdout and boom.logJobStoreFileID in info.stdout

    rerun = toil(tmp_path, "debug-job", "js", boom.jobStoreID)
    assert rerun.returncode == 1
    assert "about to fail" in rerun.stdout  # output is not redirected
    assert "RuntimeError: deliberate failure 42" in rerun.stderr
    assert "workflow.py" in rerun.stderr  # the user's code ran in this process

    by_name = toil(tmp_path, "debug-job", "js", "boom")
    assert by_name.returncode == 1 and "deliberate failure 42" in by_name.stderr

    success = toil(tmp_path, "debug-job", "js", follow_on.jobStoreID)
    assert success.returncode == 0, describe(success)
    assert "ok job ran 2" in success.stdout

    missing = toil(tmp_path, "debug-job", "js", "no-such-job")
    assert missing.returncode == 1 and "not in the job store" in missing.stderr


# ------------------------------------------------------------------------------------- debug-file
def test_debug_file_lists_and_fetches(failed_store, tmp_path):
    listing = subprocess.run([sys.executable, "-m", "toil_core.cli.main", "debug-file",
                              str(failed_store / "js"), "--listFilesInJobStore"], cwd=str(tmp_path),
                             env=cli_env(tmp_path), capture_output=True, text=True, timeout=120, check=False)
    assert listing.returncode == 0, describe(listing)
    listed = (tmp_path / "jobstore_files.txt").read_text().splitlines()
    assert any(path.endswith("config.pickle") for path in listed)
    assert any(path.endswith("overview.txt") for path in listed)
    assert all(os.path.isfile(path) for path in listed)
    assert "config.pickle" in listing.stderr  # also logged

    out = tmp_path / "fetched"
    fetch = toil(failed_store, "debug-file", "js", "--fetch", "overview.txt", "*.pickle",
                 "--localFilePath", str(out))
    assert fetch.returncode == 0, describe(fetch)
    assert (out / "overview.txt").read_text() == "overview contents\n"
    assert (out / "config.pickle").is_file()

    links = tmp_path / "links"
    symlinked = toil(failed_store, "debug-file", "js", "--fetch", "overview.*", "--localFilePath", str(links),
                     "--useSymlinks", "--listFilesInJobStore", "False")
    assert symlinked.returncode == 0, describe(symlinked)
    assert (links / "overview.txt").is_symlink()
    assert (links / "overview.txt").read_text() == "overview contents\n"

    whole = tmp_path / "whole"
    entire = toil(failed_store, "debug-file", "js", "--fetchEntireJobStore", "--localFilePath", str(whole))
    assert entire.returncode == 0, describe(entire)
    assert (whole / "js" / "shared" / "config.pickle").is_file()
