"""The leader's message bus on real runs: ``--writeMessages FILE``, the copy kept in the job store and
``toil status --printStatus`` replaying it (while the leader runs, after a success and after a failure)."""
from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from toil_core.bus import (
    MESSAGE_TYPES,
    JobCompletedMessage,
    JobFailedMessage,
    JobIssuedMessage,
    JobUpdatedMessage,
    MessageBus,
    QueueSizeMessage,
    replay_message_bus,
)

from workflows.harness import cli_env as _env
from workflows.harness import describe, write_script
from workflows.harness import run_source as run_workflow
from workflows.harness import toil_cli as toil

FANOUT_WORKFLOW = '''
from toil.common import Toil
from toil.job import Job


def child(job, i):
    return i


def root(job):
    for i in range(3):
        job.addChildJobFn(child, i)


if __name__ == "__main__":
    options = Job.Runner.getDefaultArgumentParser().parse_args()
    with Toil(options) as toil:
        toil.start(Job.wrapJobFn(root))
'''

FAILING_WORKFLOW = '''
from toil.common import Toil
from toil.job import Job


def ok(job, x):
    return x


def boom(job):
    raise RuntimeError("deliberate failure 42")


def root(job):
    job.addChildJobFn(boom)
    job.addChildJobFn(ok, 1)


if __name__ == "__main__":
    options = Job.Runner.getDefaultArgumentParser().parse_args()
    with Toil(options) as toil:
        toil.start(Job.wrapJobFn(root))
'''

# "long" runs until the file "wake" exists (at most 120 s); "short" ends at once.
WAITING_WORKFLOW = '''
import os
import time

from toil.common import Toil
from toil.job import Job


def long(job, directory):
    open(os.path.join(directory, "long-started"), "w").close()
    deadline = time.time() + 120
    while not os.path.exists(os.path.join(directory, "wake")) and time.time() < deadline:
        time.sleep(0.05)
    return "long"


def short(job):
    return "short"


def root(job, directory):
    job.addChildJobFn(long, directory, cores=0.5, memory="100M")
    job.addChildJobFn(short, cores=0.5, memory="100M")


if __name__ == "__main__":
    options = Job.Runner.getDefaultArgumentParser().parse_args()
    with Toil(options) as toil:
        toil.start(Job.wrapJobFn(root, os.path.abspath(".")))
'''


def read_messages(path: Path) -> list:
    with open(path, "rb") as stream:
        return list(MessageBus.scan_bus_messages(stream, list(MESSAGE_TYPES.values())))


def stored_copy(base: Path) -> bytes:
    from toil_core.jobstores.locator import open_job_store

    with open_job_store(str(base / "js")).read_shared_file_stream("messages.txt") as stream:
        return stream.read()


def private_message_files(base: Path) -> list:
    return sorted(p.name for p in (base / "tmp").glob("toil-messages-*"))


def test_write_messages_records_every_issued_job(tmp_path):
    proc = run_workflow(tmp_path, FANOUT_WORKFLOW, "--writeMessages", "m.txt", "--clean", "never")
    assert proc.returncode == 0, describe(proc)
    messages = read_messages(tmp_path / "m.txt")
    issued = [m for m in messages if isinstance(m, JobIssuedMessage)]
    assert collections.Counter(m.job_type for m in issued) == {"root": 1, "child": 3}
    assert len({m.toil_batch_id for m in issued}) == 4
    completed = {m.job_id: m for m in messages if isinstance(m, JobCompletedMessage)}
    updated = {m.job_id: m.result_status for m in messages if isinstance(m, JobUpdatedMessage)}
    assert set(completed) == set(updated) == {m.job_id for m in issued}
    assert all(m.exit_code == 0 for m in completed.values()) and set(updated.values()) == {0}
    position = {id(m): i for i, m in enumerate(messages)}  # (messages are tuples: compare by identity)
    for message in issued:  # each job is reported finished after it was issued
        assert position[id(message)] < position[id(completed[message.job_id])]
    sizes = [m.queue_size for m in messages if isinstance(m, QueueSizeMessage)]
    assert sizes[-1] == 0 and max(sizes) >= 1
    assert not any(isinstance(m, JobFailedMessage) for m in messages)
    assert not [s for s in replay_message_bus(str(tmp_path / "m.txt")).values() if s.exit_code != 0]
    assert stored_copy(tmp_path) == (tmp_path / "m.txt").read_bytes()


def test_failed_run_publishes_the_failure_and_status_shows_it(tmp_path):
    proc = run_workflow(tmp_path, FAILING_WORKFLOW, "--retryCount", "1")
    assert proc.returncode != 0, describe(proc)
    assert private_message_files(tmp_path) == []  # the leader's own file is moved into the job store
    copy = tmp_path / "copy.txt"
    copy.write_bytes(stored_copy(tmp_path))
    messages = read_messages(copy)
    boom_runs = [m for m in messages if isinstance(m, JobCompletedMessage) and m.job_type == "boom"]
    assert len(boom_runs) == 2 and all(m.exit_code != 0 for m in boom_runs)  # first try and the retry
    failed = [m for m in messages if isinstance(m, JobFailedMessage)]
    assert [m.job_type for m in failed] == ["boom"]
    ok = [m for m in messages if isinstance(m, JobCompletedMessage) and m.job_type == "ok"]
    assert [m.exit_code for m in ok] == [0]

    status = toil(tmp_path, "status", "js", "--printStatus")
    assert status.returncode == 0, describe(status)
    assert "Workflow status: ERROR" in status.stdout
    assert "Message bus path: messages.txt in the job store" in status.stdout
    assert "Jobs issued to the batch system when the leader stopped: 0" in status.stdout
    assert "Jobs whose last attempt failed: 1" in status.stdout
    boom_id = failed[0].job_id
    batch_id = [m.toil_batch_id for m in messages
                if isinstance(m, JobIssuedMessage) and m.job_id == boom_id][-1]
    assert f"    boom {boom_id}: batch system ID {batch_id}, exit code " in status.stdout


def _issued_long(base: Path) -> list:
    """The JobIssuedMessage of the "long" job in the live messages file, once it is there."""
    live = private_message_files(base)
    if len(live) != 1:
        return []
    return [m for m in read_messages(base / "tmp" / live[0])
            if isinstance(m, JobIssuedMessage) and m.job_type == "long"]


def test_print_status_lists_the_running_jobs_while_the_leader_runs(tmp_path):
    script = write_script(tmp_path, WAITING_WORKFLOW)
    log = open(tmp_path / "leader.log", "w")
    leader = subprocess.Popen([sys.executable, str(script), "js", "--logLevel", "INFO"], cwd=str(tmp_path),
                              env=_env(tmp_path), stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        deadline = time.time() + 120
        status, long_issue = None, []
        # Poll until the leader's messages say "long" is issued and every other job ended.
        while time.time() < deadline and leader.poll() is None:
            long_issue = long_issue or _issued_long(tmp_path)
            if long_issue:
                status = toil(tmp_path, "status", "js", "--printStatus", "--noAggStats")
                if "Jobs issued to the batch system and not finished yet: 1" in status.stdout:
                    break
            time.sleep(0.3)
        assert status is not None and leader.poll() is None, (tmp_path / "leader.log").read_text()
        assert "Workflow status: RUNNING" in status.stdout, describe(status)
        assert "Jobs issued to the batch system and not finished yet: 1" in status.stdout, describe(status)
        assert len(long_issue) == 1
        live = private_message_files(tmp_path)
        assert f"Message bus path: {tmp_path / 'tmp' / live[0]}" in status.stdout
        job_id, batch_id = long_issue[0].job_id, long_issue[0].toil_batch_id
        assert f"    long {job_id}: batch system ID {batch_id}" in status.stdout
        assert f"'long' {job_id}: issued to the batch system (batch system ID {batch_id})" in status.stdout
        (tmp_path / "wake").touch()
        assert leader.wait(timeout=120) == 0, (tmp_path / "leader.log").read_text()
    finally:
        if leader.poll() is None:
            (tmp_path / "wake").touch()
            os.killpg(leader.pid, signal.SIGKILL)
            leader.wait()
        log.close()
    assert private_message_files(tmp_path) == []


def test_unwritable_write_messages_file_is_a_clear_error(tmp_path):
    (tmp_path / "afile").write_text("not a directory")
    proc = run_workflow(tmp_path, FANOUT_WORKFLOW, "--writeMessages", str(tmp_path / "afile" / "m.txt"))
    assert proc.returncode != 0
    assert "Cannot write the leader's messages to --writeMessages" in proc.stderr, describe(proc)
    assert "writable directory" in proc.stderr


@pytest.mark.parametrize("with_file", [False, True])
def test_status_of_a_finished_run_replays_the_stored_messages(tmp_path, with_file):
    options = ["--clean", "never"] + (["--writeMessages", "m.txt"] if with_file else [])
    proc = run_workflow(tmp_path, FANOUT_WORKFLOW, *options)
    assert proc.returncode == 0, describe(proc)
    status = toil(tmp_path, "status", "js", "--printStatus")
    assert status.returncode == 0, describe(status)
    where = str(tmp_path / "m.txt") if with_file else "messages.txt in the job store"
    assert f"Message bus path: {where}" in status.stdout
    assert "Jobs issued to the batch system when the leader stopped: 0" in status.stdout
    assert "Jobs whose last attempt failed" not in status.stdout


def test_print_status_after_the_leader_was_killed(tmp_path):
    script = write_script(tmp_path, WAITING_WORKFLOW)
    log = open(tmp_path / "leader.log", "w")
    leader = subprocess.Popen([sys.executable, str(script), "js"], cwd=str(tmp_path), env=_env(tmp_path),
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 120
        live = []
        while time.time() < deadline and leader.poll() is None:
            live = private_message_files(tmp_path)
            if (tmp_path / "long-started").exists() and live and any(
                    isinstance(m, JobIssuedMessage) and m.job_type == "long"
                    for m in read_messages(tmp_path / "tmp" / live[0])):
                break
            time.sleep(0.2)
        assert leader.poll() is None and live, (tmp_path / "leader.log").read_text()
    finally:
        os.killpg(leader.pid, signal.SIGKILL)  # the leader, its fork server and the jobs: nothing cleans up
        leader.wait()
        (tmp_path / "wake").touch()  # a job in a session of its own ends too
        log.close()
    long_id = next(m.job_id for m in read_messages(tmp_path / "tmp" / live[0])
                   if isinstance(m, JobIssuedMessage) and m.job_type == "long")
    status = toil(tmp_path, "status", "js", "--printStatus", "--noAggStats")
    assert status.returncode == 0, describe(status)
    assert "the workflow was interrupted" in status.stdout
    assert f"Message bus path: {tmp_path / 'tmp' / live[0]}" in status.stdout
    assert "Jobs issued to the batch system when the leader stopped: " in status.stdout
    assert f"'long' {long_id}: was issued (batch system ID " in status.stdout


def test_clean_always_leaves_no_message_file(tmp_path):
    proc = run_workflow(tmp_path, FANOUT_WORKFLOW, "--clean", "always", "--writeMessages", "m.txt")
    assert proc.returncode == 0, describe(proc)
    assert not (tmp_path / "js").exists()
    assert private_message_files(tmp_path) == []
    issued = [m.job_type for m in read_messages(tmp_path / "m.txt") if isinstance(m, JobIssuedMessage)]
    assert issued.count("child") == 3
    proc = run_workflow(tmp_path, FANOUT_WORKFLOW, "--clean", "always")
    assert proc.returncode == 0, describe(proc)
    assert private_message_files(tmp_path) == []
