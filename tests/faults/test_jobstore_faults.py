"""Job store faults (issue 5): each is detected and reported with the path and the fix, nothing
already stored is lost, and once the fault is fixed ``--restart`` completes the workflow.

The workflow is ``scripts/store_faults_wf.py``: its first run fails on purpose (the ``gate`` job
is closed), which leaves a whole job store behind; the tests damage that store, restart, check
the message and that the rest of the store is byte-for-byte intact, repair it and restart again.
The result must equal that of a run that never met a fault.
"""
from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator, Tuple

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "scripts"))
from support import (  # noqa: E402
    command,
    describe,
    kill_session,
    result_line,
    run_script,
    script_env,
    snapshot,
    without_source_lines,
)

from toil_core.jobstores.errors import JobStoreFullError  # noqa: E402
from toil_core.jobstores.file_job_store import FileJobStore  # noqa: E402

SCRIPT = "store_faults_wf.py"
#: Options of every run: a failing job fails at once; quiet logs.
RUN_ARGS = ("--retryCount", "0", "--logLevel", "warning")


def _run(tmp: Path, *args: object, timeout: float = 120) -> subprocess.CompletedProcess:
    return run_script(SCRIPT, [tmp / "js", "--out", tmp / "out", *args, *RUN_ARGS], tmp,
                      timeout=timeout)


@pytest.fixture(scope="module")
def clean_result(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The result of a run that meets no fault."""
    tmp = tmp_path_factory.mktemp("clean")
    (tmp / "out").mkdir()
    (tmp / "out" / "open").touch()
    proc = _run(tmp)
    assert proc.returncode == 0, describe(proc)
    assert not (tmp / "js").exists()
    return result_line(proc)


def _failed_first_run(tmp: Path) -> Path:
    """Run with the gate closed: the workflow fails and its job store is kept."""
    (tmp / "out").mkdir()
    proc = _run(tmp)
    assert proc.returncode == 1, describe(proc)
    assert "the gate is closed" in proc.stderr
    return tmp / "js"


def _open_gate(tmp: Path) -> None:
    (tmp / "out" / "open").touch()


def _job_file(js: Path, name: str) -> Path:
    found = list(js.glob(f"jobs/*/{name}-*"))
    assert len(found) == 1, found
    return found[0]


def _body_file(js: Path, name: str) -> Path:
    body_id = json.loads(_job_file(js, name).read_bytes())["body_id"]
    path = js / "files" / body_id
    assert path.is_file(), body_id
    return path


def _payload_file(js: Path) -> Path:
    found = list(js.glob("files/**/*-payload.txt"))
    assert len(found) == 1, found
    return found[0]


# ------------------------------------------------------------------ damaged job / config files
def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(0, len(data), 7):
        data[i] = (data[i] * 31 + 17) % 256
    path.write_bytes(bytes(data))


DAMAGES = {
    "truncated job file": (lambda js: _job_file(js, "gate"), _truncate, r"The description of job 'gate-\w+' "
                           r"in file '{path}' cannot be parsed.*damaged\. Restore that file"),
    "garbled job file": (lambda js: _job_file(js, "root"), _garble, r"The description of job 'root-\w+' "
                         r"in file '{path}' cannot be parsed.*Restore that file"),
    "empty job file": (lambda js: _job_file(js, "read_payload"), lambda p: p.write_bytes(b""),
                       r"The description of job 'read_payload-\w+' in file '{path}' cannot be parsed"),
    "truncated config": (lambda js: js / "shared" / "config.pickle", _truncate, r"The file '{path}' of job "
                         r"store '.*js' cannot be read \(.*\); the job store is damaged\. Restore that file"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_damaged_file_is_reported_and_restart_works_once_it_is_restored(damage: str, tmp_path: Path,
                                                                        clean_result: str, fault_table) -> None:
    find, spoil, expected = DAMAGES[damage]
    js = _failed_first_run(tmp_path)
    target = find(js)
    original = target.read_bytes()
    spoil(target)
    before = snapshot(js)
    _open_gate(tmp_path)
    refused = _run(tmp_path, "--restart")
    output = without_source_lines(refused.stderr)
    assert refused.returncode == 1, describe(refused)
    assert re.search(expected.format(path=re.escape(str(target))), output, re.DOTALL), describe(refused)
    assert f"toil clean {js}" in output and "--restart" in output
    assert snapshot(js) == before, "the refused restart changed the job store"
    assert _events(tmp_path).count("start gate") == 1, "the refused restart ran a job"
    target.write_bytes(original)
    fixed = _run(tmp_path, "--restart")
    assert fixed.returncode == 0, describe(fixed)
    assert result_line(fixed) == clean_result
    fault_table.record("job store", f"{damage} ({target.relative_to(js)})",
                       "reported with path and fix; store unchanged; restored + --restart completed")


# ------------------------------------------------------------------ a file a job refers to is missing
MISSING = {
    "global file a job reads": (_payload_file, r"File '[^']*payload.txt' does not exist\. Extra info: \(no file "
                                r"at '{path}' in job store '.*js'\).*restore the file from a backup and resume "
                                r"with --restart"),
    "stored body of a job": (lambda js: _body_file(js, "gate"), r"File '[^']*' \(the body of job 'gate' gate-\w+\) "
                             r"does not exist\. Extra info: The job store '.*js' is damaged: restore that file"),
}


@pytest.mark.parametrize("missing", list(MISSING))
def test_missing_file_is_reported_and_restart_works_once_it_is_back(missing: str, tmp_path: Path,
                                                                    clean_result: str, fault_table) -> None:
    find, expected = MISSING[missing]
    js = _failed_first_run(tmp_path)
    target = find(js)
    hidden = tmp_path / "hidden"
    shutil.move(str(target), str(hidden))
    _open_gate(tmp_path)
    failed = _run(tmp_path, "--restart")
    assert failed.returncode == 1, describe(failed)
    output = without_source_lines(failed.stderr)
    relative = str(target.relative_to(js / "files"))
    assert re.search(expected.format(path=re.escape(str(target))), output, re.DOTALL), describe(failed)
    assert relative in output
    # The failure lost nothing else: the store still holds the root job and everything it wrote.
    assert (js / "shared" / "rootJobStoreID").is_file() and _job_file(js, "root").is_file()
    assert list((js / "tmp").iterdir()) == []
    shutil.move(str(hidden), str(target))
    fixed = _run(tmp_path, "--restart")
    assert fixed.returncode == 0, describe(fixed)
    assert result_line(fixed) == clean_result
    fault_table.record("job store", f"missing {missing} ({relative})",
                       "job failed naming the file, path and fix; put back + --restart completed")


# ------------------------------------------------------------------ a full disk during a write
@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Tuple[Path, Any]]:
    """A 3 MiB tmpfs (root only); yields its mount point and a function to resize it."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("full disk on a tmpfs needs root (the injected-fault test covers it in-process)")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m,mode=0755", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs ({proc.stderr.strip()}); the injected-fault test covers it")

    def resize(size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(mount)], check=True)

    try:
        yield mount, resize
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_full_disk_on_a_tmpfs_is_reported_and_restart_completes_with_more_space(
        small_tmpfs: Tuple[Path, Any], tmp_path: Path, clean_result: str, fault_table) -> None:
    mount, resize = small_tmpfs
    js = mount / "js"
    (tmp_path / "out").mkdir()
    _open_gate(tmp_path)
    args = [js, "--out", tmp_path / "out", "--big", 4 * 1024 * 1024, *RUN_ARGS]
    full = run_script(SCRIPT, args, tmp_path)
    assert full.returncode == 1, describe(full)
    output = without_source_lines(full.stderr)
    assert re.search(rf"No space left on device while writing '{re.escape(str(js))}/files/[^']*big.bin' in job "
                     r"store '.*js'\. Free some space on that file system .*then resume the workflow with "
                     r"--restart", output), describe(full)
    # What was stored before the failed write is intact, and the failed write left nothing behind.
    assert (js / "shared" / "rootJobStoreID").is_file()
    payload = _payload_file(js).read_bytes()
    assert len(payload) == 200 * 1024 and payload.startswith(b"0123456789abcdefghij")
    assert list((js / "tmp").iterdir()) == []
    assert not list(js.glob("files/**/*-big.bin"))
    resize("20m")
    fixed = run_script(SCRIPT, [*args, "--restart"], tmp_path)
    assert fixed.returncode == 0, describe(fixed)
    assert result_line(fixed) == clean_result
    fault_table.record("job store", "full disk during a write (3 MiB tmpfs, 4 MiB global file)",
                       "reported with path and fix; store intact; remount 20 MiB + --restart completed")


def test_full_disk_injected_during_writes_keeps_what_was_stored(tmp_path: Path, monkeypatch,
                                                                 fault_table) -> None:
    """In-process: os.write and file writes fail with ENOSPC; every write reports the store and
    the destination, leaves the stored version in place and no temporary file behind."""
    from toil_core.common.config import Config
    from toil_core.job.description import JobDescription

    store = FileJobStore(str(tmp_path / "js"))
    store.initialize(Config())
    desc = JobDescription(jobName="kept")
    store.create_job(desc)
    with store.write_file_stream() as (handle, file_id):
        handle.write(b"stored before the disk filled up")
    job_path = Path(store._job_path(desc.jobStoreID))
    stored_job = job_path.read_bytes()

    def no_space(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", no_space)
    desc.jobName = "changed"
    with pytest.raises(JobStoreFullError) as info:
        store.update_job(desc)
    assert info.value.errno == errno.ENOSPC and isinstance(info.value, OSError)
    assert f"while writing '{job_path}' in job store" in str(info.value)
    assert "Free some space" in str(info.value) and "--restart" in str(info.value)
    assert job_path.read_bytes() == stored_job
    monkeypatch.undo()

    real_fdopen = os.fdopen

    class Full:
        """A file object whose data never fits."""

        def __init__(self, raw: Any) -> None:
            self.raw = raw

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def __enter__(self) -> "Full":
            return self

        def __exit__(self, *exc: Any) -> None:
            self.raw.close()

    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: Full(real_fdopen(fd, *a, **k)))
    with pytest.raises(JobStoreFullError) as info:
        with store.update_file_stream(file_id) as handle:
            handle.write(b"new content that does not fit")
    assert str(store._file_path(file_id)) in str(info.value)
    with pytest.raises(JobStoreFullError):
        with store.write_shared_file_stream("some-shared-file") as handle:
            handle.write(b"x")
    monkeypatch.undo()
    with store.read_file_stream(file_id) as handle:
        assert handle.read() == b"stored before the disk filled up"
    assert store.load_job(desc.jobStoreID).jobName == "kept"
    assert os.listdir(tmp_path / "js" / "tmp") == []
    fault_table.record("job store", "ENOSPC injected into os.write / file writes (in-process)",
                       "JobStoreFullError with path and fix; old contents kept; no temp files left")


# ------------------------------------------------------------------ two leaders, stale locks
def _start_held(tmp: Path, name: str, *args: object) -> subprocess.Popen:
    """Start the workflow with the gate open but held, output to files."""
    with open(tmp / f"{name}.out", "w") as out, open(tmp / f"{name}.err", "w") as err:
        return subprocess.Popen(command(SCRIPT, [tmp / "js", "--out", tmp / "out", *args, *RUN_ARGS]),
                                cwd=str(tmp), env=script_env(tmp), stdout=out, stderr=err,
                                start_new_session=True)


def _wait_for(predicate: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _events(tmp: Path) -> str:
    path = tmp / "out" / "events.log"
    return path.read_text() if path.exists() else ""


def test_second_leader_is_refused_and_the_first_finishes(tmp_path: Path, clean_result: str,
                                                         fault_table) -> None:
    (tmp_path / "out").mkdir()
    _open_gate(tmp_path)
    (tmp_path / "out" / "hold").touch()
    first = _start_held(tmp_path, "first")
    try:
        _wait_for(lambda: "start gate" in _events(tmp_path), "the first leader to run the gate job")
        js = tmp_path / "js"
        config = (js / "shared" / "config.pickle").read_bytes()
        jobs_before = sorted(p.name for p in js.glob("jobs/*/*"))
        fresh = _run(tmp_path)
        assert fresh.returncode == 1, describe(fresh)
        assert f"The job store '{js}' already exists. Use --restart" in fresh.stderr
        second = _run(tmp_path, "--restart")
        assert second.returncode == 1, describe(second)
        output = without_source_lines(second.stderr)
        assert re.search(rf"The job store '.*js' is in use by another Toil leader \(pid {first.pid} on host "
                         rf"[^)]+\): it holds the lock '{re.escape(str(js))}/shared/leader.lock'\. .*Wait for that "
                         rf"leader to finish, or stop it with 'toil kill .*js', then resume with --restart",
                         output), describe(second)
        assert (js / "shared" / "config.pickle").read_bytes() == config
        assert sorted(p.name for p in js.glob("jobs/*/*")) == jobs_before
        (tmp_path / "out" / "release").touch()
        assert first.wait(timeout=120) == 0, (tmp_path / "first.err").read_text()[-5000:]
    finally:
        kill_session(first)
    assert (tmp_path / "first.out").read_text().strip().endswith(f"RESULT: {clean_result}")
    for job in ("root", "gate", "reader"):
        assert _events(tmp_path).count(f"start {job}\n") == 1, _events(tmp_path)
    fault_table.record("job store", "second leader while the first runs (with and without --restart)",
                       "refused (already exists / in use, pid and fix); store untouched; first finished")


def test_stale_lock_and_pid_files_of_a_killed_leader_do_not_block_restart(tmp_path: Path, clean_result: str,
                                                                         fault_table) -> None:
    (tmp_path / "out").mkdir()
    _open_gate(tmp_path)
    (tmp_path / "out" / "hold").touch()
    first = _start_held(tmp_path, "first")
    try:
        _wait_for(lambda: "start gate" in _events(tmp_path), "the leader to run the gate job")
    finally:
        kill_session(first)
        first.wait(timeout=60)
    assert first.returncode == -signal.SIGKILL
    shared = tmp_path / "js" / "shared"
    assert int((shared / "pid.log").read_text()) == first.pid  # left behind by the killed leader
    assert f"pid {first.pid} on host" in (shared / "leader.lock").read_text()
    (shared / "leader.lock").write_text("pid 99999 on host some-other-host\n")  # and stranger ones
    (tmp_path / "js" / "tmp" / "0123456789abcdef01234567").write_bytes(b"half-written by a dead process")
    (tmp_path / "out" / "release").touch()
    restarted = _run(tmp_path, "--restart")
    assert restarted.returncode == 0, describe(restarted)
    assert result_line(restarted) == clean_result
    assert "in use by another Toil leader" not in restarted.stderr
    fault_table.record("job store", "stale pid.log, leader.lock and tmp file of a SIGKILLed leader",
                       "--restart proceeded and completed")
