"""Workflows end to end on an ``aws:`` job store against the S3 server: the manual's examples
(helloWorld, the sort example, chapter 12 tutorials), resuming a failed workflow, and the
``toil`` utilities (status, stats, clean) on the store."""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, List

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "tests" / "e2e" / "scripts"
TOIL = Path(sys.executable).parent / "toil"
LOCATOR_ENV = "TOIL_TEST_JOBSTORE"


def run(cmd: List[Any], cwd: Path, timeout: float = 240, env: Any = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{full_env.get('PATH', '')}"
    full_env["TMPDIR"] = str(cwd)
    full_env.update(env or {})
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    return proc


def describe(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}\n--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-8000:]}"


def bucket_exists(s3: Any, name: str) -> bool:
    return any(b["Name"] == f"{name}--toil" for b in s3.list_buckets().get("Buckets", []))


def on_aws(script: str, cwd: Path) -> Path:
    """A copy of a manual script that makes its job store with ``tempfile.mkdtemp`` made to use
    the locator in $TOIL_TEST_JOBSTORE instead (nothing else changed)."""
    source = (SCRIPTS / script).read_text()
    changed, count = re.subn(r'tempfile\.mkdtemp\("[^"]*"\)', f'os.environ["{LOCATOR_ENV}"]', source)
    assert count == 1, f"{script}: expected one tempfile.mkdtemp job store"
    changed = re.sub(r"\n\s*os\.rmdir\(jobstore\)", "", changed)
    target = cwd / script
    target.write_text(changed)
    return target


def test_hello_world(tmp_path: Path, aws_locator: str, store_name: str, s3: Any) -> None:
    proc = run([sys.executable, REPO / "examples" / "helloWorld.py", aws_locator], tmp_path)
    assert proc.returncode == 0, describe(proc)
    assert "Hello, world!, here's a message: You did it!" in proc.stdout, describe(proc)
    assert not bucket_exists(s3, store_name), "the job store is deleted when the workflow succeeds"


def test_sort_example(tmp_path: Path, aws_locator: str, store_name: str, s3: Any) -> None:
    shutil.copy(SCRIPTS / "sort.py", tmp_path / "sort.py")
    proc = run([sys.executable, "sort.py", aws_locator, "--numLines=3000", "--lineLength=10",
                "--overwriteOutput=True", f"--workDir={tmp_path}"], tmp_path)
    assert proc.returncode == 0, describe(proc)
    lines = (tmp_path / "sortedFile.txt").read_text().splitlines()
    assert len(lines) == 3000 and lines == sorted(lines)
    assert not bucket_exists(s3, store_name)


@pytest.mark.parametrize("script", ["tutorial_managing2.py", "tutorial_services.py",
                                    "tutorial_staging.py"])
def test_manual_tutorial(script: str, tmp_path: Path, aws_locator: str, store_name: str, s3: Any) -> None:
    if script == "tutorial_staging.py":
        (tmp_path / "stagingExampleFiles").mkdir()
        (tmp_path / "stagingExampleFiles" / "in.txt").write_text("Hello, ")
    proc = run([sys.executable, on_aws(script, tmp_path)], tmp_path, env={LOCATOR_ENV: aws_locator})
    assert proc.returncode == 0, describe(proc)
    assert "Traceback" not in proc.stderr, describe(proc)
    if script == "tutorial_promises2.py":
        assert ast.literal_eval(proc.stdout.splitlines()[-1]) == [format(i, "05b") for i in range(32)]
    if script == "tutorial_staging.py":
        assert (tmp_path / "stagingExampleFiles" / "out.txt").read_text() == "Hello, World!"
    assert not bucket_exists(s3, store_name)


def test_failed_workflow_resumes_with_restart(tmp_path: Path, aws_locator: str, store_name: str, s3: Any) -> None:
    shutil.copy(SCRIPTS / "tutorial_restart.py", tmp_path / "restart.py")
    first = run([sys.executable, "restart.py", aws_locator, "--retryCount", "0"], tmp_path)
    assert first.returncode != 0, describe(first)
    assert bucket_exists(s3, store_name), "a failed workflow keeps its job store"
    status = run([TOIL, "status", aws_locator], tmp_path)
    assert status.returncode == 0 and "fragile" in status.stdout + status.stderr, describe(status)
    (tmp_path / "fixed.marker").write_text("")
    second = run([sys.executable, "restart.py", aws_locator, "--restart"], tmp_path)
    assert second.returncode == 0, describe(second)
    assert "The resumed workflow finished" in second.stdout
    ran = (tmp_path / "jobRuns.log").read_text().split()
    assert ran.count("setup") == 1 and ran.count("steady") == 1 and ran.count("fragile") == 2, ran
    assert not bucket_exists(s3, store_name)


def test_status_stats_and_clean(tmp_path: Path, aws_locator: str, store_name: str, s3: Any) -> None:
    proc = run([sys.executable, REPO / "examples" / "helloWorld.py", aws_locator, "--stats", "--clean", "never"],
               tmp_path)
    assert proc.returncode == 0, describe(proc)
    status = run([TOIL, "status", aws_locator], tmp_path)
    assert "completed successfully" in status.stdout + status.stderr, describe(status)
    stats = run([TOIL, "stats", aws_locator], tmp_path)
    assert stats.returncode == 0 and "helloWorld" in stats.stdout, describe(stats)
    clean = run([TOIL, "clean", aws_locator], tmp_path)
    assert clean.returncode == 0, describe(clean)
    assert not bucket_exists(s3, store_name)
    again = run([TOIL, "clean", aws_locator], tmp_path)
    assert again.returncode == 0, describe(again)


FANOUT = '''
import sys
from toil.common import Toil
from toil.job import Job

def leaf(job, i):
    return i * i

def root(job, n):
    return [job.addChildJobFn(leaf, i, cores=1, memory="50M", disk="1M").rv() for i in range(n)]

if __name__ == "__main__":
    options = Job.Runner.getDefaultArgumentParser().parse_args()
    options.logLevel = "WARNING"
    with Toil(options) as toil:
        print("RESULT", toil.start(Job.wrapJobFn(root, 6, cores=1, memory="50M", disk="1M")))
'''


def test_the_leader_reads_no_finished_leaf_back(tmp_path: Path, aws_locator: str) -> None:
    """Each leaf job of a fan-out is read once, by its worker: the worker's store notes the
    finish (and the value) for the leader, which reads neither the job back nor its value."""
    script = tmp_path / "fanout.py"
    script.write_text(FANOUT)
    trace = tmp_path / "requests.tsv"
    proc = run([sys.executable, script, aws_locator], tmp_path, env={"TOIL_AWS_REQUEST_LOG": str(trace)})
    assert proc.returncode == 0, describe(proc)
    assert "RESULT [0, 1, 4, 9, 16, 25]" in proc.stdout, describe(proc)
    reads: dict = {}
    for line in trace.read_text().splitlines():
        _, operation, key, _caller = line.split("\t")[:4]
        if operation == "GetObject" and key.startswith("jobs/leaf"):
            reads[key] = reads.get(key, 0) + 1
    assert len(reads) == 6 and set(reads.values()) == {1}, reads
