"""A CWL workflow killed with SIGKILL resumes with --restart and does not redo finished steps."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from toil_core.bus import replay_message_bus
from toil_cwl_test_helpers import cwl_env, runner_command  # noqa: E402  (tests/cwl on sys.path)

pytestmark = pytest.mark.timeout(300)


def _wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            pytest.fail(f"the workflow ended early ({proc.returncode}) while waiting for {what}:\n"
                        f"{log.read_text()[-4000:]}")
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}:\n{log.read_text()[-4000:]}")


def _kill_session(leader_pid: int) -> None:
    """SIGKILL every process of the run's session: the leader first, then what it started (job
    processes run in process groups of their own, so killing the leader's group is not enough)."""
    psutil = pytest.importorskip("psutil")
    os.kill(leader_pid, signal.SIGKILL)
    for _ in range(3):
        victims = []
        for proc in psutil.process_iter(["pid"]):
            try:
                if os.getsid(proc.pid) == leader_pid and proc.pid != leader_pid:
                    victims.append(proc.pid)
            except (ProcessLookupError, PermissionError, psutil.Error):
                continue
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not victims:
            break
        time.sleep(0.3)


def test_restart_after_sigkill(tmp_path: Path, data_dir: Path):
    counter = tmp_path / "counter.txt"
    flag = tmp_path / "go"
    job = tmp_path / "restart-job.json"
    job.write_text(json.dumps({"counter": str(counter), "flag": str(flag)}))
    jobstore = tmp_path / "jobstore"
    outdir = tmp_path / "out"
    command = runner_command() + ["--jobStore", str(jobstore), "--outdir", str(outdir), "--logLevel", "INFO"]
    env = cwl_env(tmp_path)

    log = tmp_path / "first-run.log"
    with open(log, "w") as handle:
        first = subprocess.Popen(command + [str(data_dir / "restart.cwl"), str(job)], cwd=tmp_path, env=env,
                                 stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # "second" starts only once the first step's job has finished and been recorded
        _wait_for(lambda: counter.exists() and "waiting" in counter.read_text(), 120,
                  "the second step to start waiting", first, log)
        assert counter.read_text().count("ran") == 1
    finally:
        _kill_session(first.pid)  # the leader, its workers and the waiting tool: a hard crash
        first.wait()
    assert first.returncode == -signal.SIGKILL
    assert jobstore.exists()
    assert not outdir.exists() or not any(outdir.iterdir())

    flag.write_text("go\n")
    second = subprocess.run(command + ["--restart", str(data_dir / "restart.cwl"), str(job)], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=240)
    assert second.returncode == 0, second.stderr[-6000:]
    result = json.loads(second.stdout)["result"]
    assert Path(result["path"]).read_text() == "first\nsecond\n"
    assert Path(result["path"]).parent == outdir
    # The first step's result was kept in the job store: it did not run again.
    assert counter.read_text().count("ran") == 1
    # A successful run removes its job store (--clean defaults to onSuccess).
    assert not jobstore.exists()


def test_restart_without_job_store_fails(tmp_path: Path, data_dir: Path):
    command = runner_command() + ["--jobStore", str(tmp_path / "nothing-here"), "--restart",
                                  str(data_dir / "example.cwl"), str(data_dir / "example-job.yaml")]
    proc = subprocess.run(command, cwd=tmp_path, env=cwl_env(tmp_path), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0
    assert proc.stdout == ""


def test_restart_scatter_in_subworkflow_after_sigkill(tmp_path: Path, data_dir: Path):
    """Killed inside a scatter of a sub-workflow: the resumed run reruns only the unfinished job."""
    counter = tmp_path / "counter.txt"
    flag = tmp_path / "go"
    words = ["a", "b", "wait", "c", "d"]
    job = tmp_path / "restart-scatter-job.json"
    job.write_text(json.dumps({"words": words, "counter": str(counter), "flag": str(flag)}))
    jobstore = tmp_path / "jobstore"
    outdir = tmp_path / "out"
    messages = tmp_path / "messages.txt"
    command = runner_command() + ["--jobStore", str(jobstore), "--outdir", str(outdir), "--logLevel", "INFO",
                                  "--writeMessages", str(messages)]
    env = cwl_env(tmp_path)
    document = str(data_dir / "restart-scatter.cwl")

    def running_jobs() -> list:
        return [s for s in replay_message_bus(str(messages)).values() if s.is_running()]

    def lines(prefix: str) -> list:
        return [line for line in (counter.read_text().splitlines() if counter.exists() else [])
                if line.startswith(prefix)]

    log = tmp_path / "first-run.log"
    with open(log, "w") as handle:
        first = subprocess.Popen(command + [document, str(job)], cwd=tmp_path, env=env, stdout=handle,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # The leader hears of a job's end only after its worker recorded it in the job store.
        _wait_for(lambda: len(lines("done ")) == 4 and len(lines("ran ")) == 5 and len(running_jobs()) == 1, 180,
                  "every job but the waiting one to finish and be recorded", first, log)
    finally:
        _kill_session(first.pid)
        first.wait()
    assert first.returncode == -signal.SIGKILL
    assert "done wait" not in lines("done ")

    flag.write_text("go\n")
    second = subprocess.run(command + ["--restart", document, str(job)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=240)
    assert second.returncode == 0, second.stderr[-6000:]
    files = json.loads(second.stdout)["files"]
    assert [Path(f["path"]).read_text() for f in files] == [w + "\n" for w in words]
    # Only the job that was killed ran again.
    assert sorted(lines("ran ")) == sorted(f"ran {w}" for w in words + ["wait"])
    assert not jobstore.exists()
