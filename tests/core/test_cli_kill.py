"""``toil kill`` against a real running leader: by signal on this machine, and through the job
store's kill flag when the leader is recorded as running on another node."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from workflows.harness import cli_env as _env
from workflows.harness import toil_cli

SLEEPY_WORKFLOW = '''
import os
import sys
import time
from toil.common import Toil
from toil.job import Job


def sleepy(job, marker):
    open(marker, "w").close()
    time.sleep(600)


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--marker", required=True)
    options = parser.parse_args()
    with Toil(options) as toil:
        toil.start(Job.wrapJobFn(sleepy, options.marker))
'''


def toil(base: Path, *args: str) -> subprocess.CompletedProcess:
    return toil_cli(base, *args, timeout=120)


@pytest.fixture
def running_workflow(tmp_path):
    """Start the sleeping workflow in its own process group; yield (process, base, marker)."""
    script = tmp_path / "sleepy.py"
    script.write_text(textwrap.dedent(SLEEPY_WORKFLOW))
    marker = tmp_path / "started"
    log = open(tmp_path / "leader.log", "w")
    proc = subprocess.Popen([sys.executable, str(script), "js", "--marker", str(marker),
                             "--kill_polling_interval", "1"],
                            cwd=str(tmp_path), env=_env(tmp_path), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.time() + 120
        while not (marker.exists() and (tmp_path / "js" / "shared" / "pid.log").exists()):
            if proc.poll() is not None or time.time() > deadline:
                log.flush()
                pytest.fail("the workflow did not start:\n" + (tmp_path / "leader.log").read_text())
            time.sleep(0.1)
        yield proc, tmp_path
    finally:
        log.close()
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)
        else:  # the leader is gone; make sure its workers are too
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _wait(proc: subprocess.Popen, seconds: float) -> bool:
    try:
        proc.wait(seconds)
        return True
    except subprocess.TimeoutExpired:
        return False


def test_kill_signals_a_local_leader(running_workflow):
    proc, base = running_workflow
    started = time.time()
    result = toil(base, "kill", "js")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Toil process {proc.pid} successfully terminated."
    assert _wait(proc, 15), "the leader did not stop within 15 s of toil kill"
    assert time.time() - started < 20
    assert proc.returncode != 0
    assert "SIGTERM" in (base / "leader.log").read_text()


def test_kill_sets_the_flag_for_a_remote_leader(running_workflow):
    from toil_core.jobstores.locator import open_job_store

    proc, base = running_workflow
    store = open_job_store(str(base / "js"))
    # Pretend the leader runs on another machine: toil kill cannot signal it.
    with store.write_shared_file_stream("leader_node_id.log") as handle:
        handle.write(b"some-other-node@elsewhere")
    result = toil(base, "kill", "js")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Asked the leader to terminate."
    assert store.read_kill_flag() is True
    assert _wait(proc, 15), "the leader did not notice the kill flag within 15 s"
    assert proc.returncode != 0
    assert "Received kill via job store. Shutting down." in (base / "leader.log").read_text()


# Kill with no running leader (a finished store, a missing store): rows of the bad-input suite,
# tests/faults/test_bad_inputs.py ("kill-a-finished-workflow", "kill-a-missing-store").


def test_kill_never_signals_a_process_that_reused_the_leader_pid(tmp_path):
    from toil_core.jobstores.locator import open_job_store

    script = tmp_path / "wf.py"
    script.write_text("from toil.common import Toil\nfrom toil.job import Job\n\n"
                      "if __name__ == '__main__':\n"
                      "    options = Job.Runner.getDefaultArgumentParser().parse_args()\n"
                      "    with Toil(options) as toil:\n"
                      "        toil.start(Job())\n")
    run = subprocess.run([sys.executable, str(script), "js", "--clean", "never"], cwd=str(tmp_path),
                         env=_env(tmp_path), capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        store = open_job_store(str(tmp_path / "js"))
        with store.write_shared_file_stream("pid.log") as handle:
            handle.write(str(bystander.pid).encode())
        pid_file = tmp_path / "js" / "shared" / "pid.log"
        old = time.time() - 30  # recorded long before the bystander started
        os.utime(pid_file, (old, old))
        result = toil(tmp_path, "kill", "js")
        assert result.returncode == 1, result.stderr
        assert "No leader is running" in result.stderr
        assert bystander.poll() is None, "toil kill signalled a process that merely reused the leader's pid"
    finally:
        bystander.kill()
        bystander.wait(10)
