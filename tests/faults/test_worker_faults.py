"""Worker failures (issue 5, part 2): workers killed at random (--badWorker), jobs that raise at
random (seeded), and a worker SIGKILLed in the middle of writing a large global file.

The workflow is workflows/faultflow.py (children, follow-ons, promises, global files, a checkpoint
and, where noted, a service); every job records each execution outside the job store. Within
--retryCount the workflow must still end with a clean run's result and every file a job read
intact; beyond it, the FailedJobsException must list exactly the jobs that failed for good.
"""
from __future__ import annotations

import collections
import os
import signal
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "workflows"))

import faultkit  # noqa: E402
from faultkit import faultflow  # noqa: E402

WIDTH = 4
SIZE = 64 * 1024
BIG = 2 * 1024 * 1024
SIZES = faultkit.file_sizes(SIZE, BIG, WIDTH)


def _run(tmp_path: Path, seed: int, *extra: object, big: int = BIG, name: str = "leader", timeout: float = 240):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    args = [*faultkit.QUICK, "--width", WIDTH, "--size", SIZE, "--big", big, "--seed", seed, *extra]
    proc = faultkit.start(tmp_path / "js", out, args, tmp_path, name)
    try:
        proc.wait(timeout=timeout)
    except Exception:
        faultkit.kill_group(proc)
        proc.wait()
        raise AssertionError("workflow did not end\n" + (tmp_path / f"{name}.err").read_text()[-5000:])
    return proc, faultkit.counter(out)


def _err(tmp_path: Path, name: str = "leader") -> str:
    return (tmp_path / f"{name}.err").read_text()


def _check_success(tmp_path, proc, lines, seed, service=True, big=BIG):
    assert proc.returncode == 0, _err(tmp_path)[-6000:]
    assert faultkit.result_line(tmp_path / "leader.out") == faultkit.expected_result(seed, WIDTH, SIZE, big)
    assert not faultkit.bad_reads(lines, seed, {**SIZES, "g-big": big})
    assert {line.name for line in lines if line.kind == "done"} == set(faultflow.job_names(WIDTH, service))


# ------------------------------------------------------------------------------------ --badWorker
@pytest.mark.parametrize("seed,interval", [(11, 0.01), (12, 0.02)])
def test_bad_worker_kills_at_random_and_the_workflow_still_finishes(seed, interval, tmp_path, fault_table):
    # Each try of each job is killed with probability 0.5 within `interval` s of its start, so a
    # job fails all of its 31 tries with probability 2**-31: the run must finish. Short intervals
    # land before most jobs end, so a run without a single kill (about 15 workers) is unlikely
    # enough to count as a broken --badWorker; longer intervals run in the soak tier.
    proc, lines = _run(tmp_path, seed, "--no-service", "--badWorker", "0.5", "--badWorkerFailInterval", interval,
                       "--retryCount", "30")
    _check_success(tmp_path, proc, lines, seed, service=False)
    killed = _err(tmp_path).count("Exit reason: KILLED")
    assert killed > 0, "--badWorker killed no worker"
    reruns = sum(faultkit.runs(lines).values()) - len(faultflow.job_names(WIDTH, False))
    fault_table.record("worker", f"--badWorker 0.5 --badWorkerFailInterval {interval} (seed {seed})",
                       f"{killed} workers killed, {reruns} job bodies rerun; finished, result and files intact")


# ------------------------------------------------------------------------------------ random raises
def test_jobs_raising_at_random_finish_within_retry_count(tmp_path, fault_table):
    seed, fail_max = 21, 2
    proc, lines = _run(tmp_path, seed, "--fail-max", fail_max, "--retryCount", fail_max)
    _check_success(tmp_path, proc, lines, seed)
    runs = faultkit.runs(lines)
    raises = collections.Counter(line.name for line in lines if line.kind == "raise")
    planned = {name: faultflow.planned_failures(seed, name, fail_max) for name in runs if name != "svc"}
    assert sum(planned.values()) > 0
    # Every job failed exactly as often as planned, and ran once more to succeed.
    assert dict(raises) == {name: count for name, count in planned.items() if count}
    assert {name: runs[name] for name in planned} == {name: count + 1 for name, count in planned.items()}
    fault_table.record("worker", f"jobs raise at random, up to {fail_max} times each, --retryCount {fail_max}",
                       f"{sum(planned.values())} failures retried; finished, result and files intact")


def _seed_with_failures(fail_max: int, retry_count: int, start: int) -> tuple:
    for seed in range(start, start + 1000):
        expected = faultkit.predicted_failures(seed, fail_max, retry_count, WIDTH)
        if expected and "root" not in expected and len(expected) >= 2:
            return seed, expected
    raise AssertionError("no suitable seed")


def test_jobs_failing_beyond_retry_count_are_listed_exactly(tmp_path, fault_table):
    seed, expected = _seed_with_failures(fail_max=3, retry_count=1, start=300)
    proc, lines = _run(tmp_path, seed, "--fail-max", 3, "--retryCount", 1)
    err = _err(tmp_path)
    assert proc.returncode == 1, err[-5000:]
    assert "FailedJobsException" in err
    failed = faultkit.failed_job_names(err)
    # The jobs that failed come first; as upstream, the jobs that ran but cannot finish because of
    # them (the root among them) follow.
    assert sorted(failed[:len(expected)]) == sorted(expected), err[-5000:]
    assert "root" in failed[len(expected):], err[-5000:]
    # Each of them ran exactly --retryCount + 1 times, all failing.
    runs = faultkit.runs(lines)
    assert {name: runs[name] for name in expected} == {name: 2 for name in expected}
    assert "total" not in runs  # nothing after a failed subtree ran
    fault_table.record("worker", f"jobs raise more often than --retryCount 1 allows (seed {seed})",
                       f"FailedJobsException lists exactly {', '.join(sorted(failed))}")


# ------------------------------------------------------------------------------------ killed mid-write
def _kill_worker_mid_write(tmp_path: Path, seed: int, big: int, fault_table) -> None:
    """SIGKILL the ``big`` job's worker while its global file is half copied into the store."""
    out = tmp_path / "out"
    out.mkdir()
    js = tmp_path / "js"
    args = [*faultkit.QUICK, "--width", WIDTH, "--size", SIZE, "--big", big, "--seed", seed, "--retryCount", "1",
            "--clean", "never"]
    proc = faultkit.start(js, out, args, tmp_path, "leader")
    victim = None
    partial = 0
    deadline = time.time() + 120
    try:
        while victim is None and proc.poll() is None and time.time() < deadline:
            runs = [line for line in faultkit.counter(out) if line.kind == "run" and line.name == "big"]
            if runs:
                for name in faultkit.tmp_files(js):
                    try:
                        size = os.stat(js / "tmp" / name).st_size
                    except FileNotFoundError:
                        continue
                    if SIZE < size < big:  # only g-big is larger than the other files
                        os.kill(runs[0].pid, signal.SIGKILL)
                        victim, partial = runs[0], size
                        break
            time.sleep(0.0005)
        assert victim is not None, "never saw the large file being written"
        # The half-written file is not visible as a stored file.
        stored = [p for p in (js / "files").rglob("*") if p.is_file() and p.stat().st_size > SIZE]
        assert all(p.stat().st_size == big for p in stored), stored
        proc.wait(timeout=120)
    finally:
        faultkit.kill_group(proc)
        proc.wait()
    lines = faultkit.counter(out)
    _check_success(tmp_path, proc, lines, seed, big=big)
    assert faultkit.runs(lines)["big"] == 2  # killed once, retried once
    assert "done" not in [line.kind for line in lines if line.name == "big" and line.pid == victim.pid]
    fault_table.record("worker", f"worker SIGKILLed mid writeGlobalFile ({partial}/{big} bytes copied)",
                       "partial file never visible; job retried; reader got the full file")


def test_worker_killed_while_writing_a_large_file(tmp_path, fault_table):
    _kill_worker_mid_write(tmp_path, 31, 48 * 1024 * 1024, fault_table)


# ------------------------------------------------------------------------------------ soak
@pytest.mark.soak
@pytest.mark.parametrize("seed", range(200, 215))
def test_soak_bad_worker_and_random_raises_together(seed, tmp_path, fault_table):
    # Kills anywhere in a job's life, including after its side effects and before its commit.
    proc, lines = _run(tmp_path, seed, "--no-service", "--badWorker", "0.5", "--badWorkerFailInterval", "0.4",
                       "--linger", "0.3", "--fail-max", "2", "--retryCount", "40")
    _check_success(tmp_path, proc, lines, seed, service=False)
    killed = _err(tmp_path).count("Exit reason: KILLED")
    fault_table.record("worker", f"--badWorker 0.5 (0.4 s) with jobs raising up to 2 times (seed {seed})",
                       f"{killed} workers killed; finished, result and files intact")


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(400, 410))
def test_soak_failures_beyond_retry_count(seed, tmp_path, fault_table):
    seed, expected = _seed_with_failures(fail_max=4, retry_count=2, start=seed * 100)
    proc, lines = _run(tmp_path, seed, "--fail-max", 4, "--retryCount", 2)
    assert proc.returncode == 1
    failed = faultkit.failed_job_names(_err(tmp_path))
    assert sorted(failed[:len(expected)]) == sorted(expected)
    fault_table.record("worker", f"failures beyond --retryCount 2 (seed {seed})", "listed exactly")


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(500, 506))
def test_soak_worker_killed_mid_write(seed, tmp_path, fault_table):
    _kill_worker_mid_write(tmp_path, seed, 64 * 1024 * 1024, fault_table)


# ------------------------------------------------------------------------------------ attempt files
def test_files_of_a_killed_attempt_are_deleted_when_the_job_reruns(tmp_path, fault_table):
    """work-0 wrote its global file and was killed before its worker recorded it finished: the
    retry deletes that file (nothing refers to it), so the finished store holds none of them."""
    out = tmp_path / "out"
    out.mkdir()
    js = tmp_path / "js"
    args = [*faultkit.QUICK, "--width", WIDTH, "--size", SIZE, "--big", BIG, "--seed", 41, "--retryCount", "1",
            "--clean", "never", "--linger", "1"]
    proc = faultkit.start(js, out, args, tmp_path, "leader")
    try:
        done = faultkit.wait_for_line(out, "done", "work-0", timeout=120)
        os.kill(done.pid, signal.SIGKILL)
        proc.wait(timeout=120)
    finally:
        faultkit.kill_group(proc)
        proc.wait()
    lines = faultkit.counter(out)
    _check_success(tmp_path, proc, lines, 41)
    assert faultkit.runs(lines)["work-0"] == 2
    leftovers = [p for p in (js / "files").rglob("*g-work-*") if p.is_file()]
    assert leftovers == []  # post-i deleted the files it read; the killed attempt's went at the retry
    fault_table.record("worker", "worker SIGKILLed after its job wrote a global file, before the commit",
                       "retry deleted the orphaned file; store holds none")
