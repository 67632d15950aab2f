"""The local fork server is a fork of the leader, stripped of what is the leader's.

A fresh interpreter would import the engine and the user's script again before the first job (most
of a small workflow's start-up); a fork has them already. What it must not keep: the leader's open
files (a pipe or log held open would outlive the leader), exit handlers (the leader's clean-up would
run twice), signal handlers and logging handlers. ``TOIL_FORK_SERVER_EXEC=1`` starts it as a fresh
interpreter instead.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from batch_support import wait_for
from toil_core.batch.fork_client import EXEC_ENV
from toil_core.jobstores.file_job_store import FileJobStore
from toil_core.resource import ModuleDescriptor, save_user_module

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux only)")


def _prepared_server(batch: Any, tmp_path: Path) -> Any:
    """The process of a fork server that has opened a store and imported its user module."""
    from batch_support import make_config

    marker = tmp_path / "imported"
    modules = tmp_path / "mods"
    modules.mkdir()
    (modules / "forkmod.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    store = FileJobStore(str(tmp_path / "js"))
    store.initialize(make_config(tmp_path))
    save_user_module(store, ModuleDescriptor(dirPath=str(modules), name="forkmod"), deploy=False)
    system = batch()
    system.prepare_workers("file:" + str(tmp_path / "js"), {})
    wait_for(marker.exists, 120, "the fork server to import the user module")
    return system._fork_server.process


def _cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def test_the_server_is_a_fork_of_the_leader(batch: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(EXEC_ENV, raising=False)
    server = _prepared_server(batch, tmp_path)

    assert _cmdline(server.pid) == _cmdline(os.getpid())


def test_exec_setting_starts_a_fresh_interpreter(batch: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EXEC_ENV, "1")
    server = _prepared_server(batch, tmp_path)

    assert b"toil_core.batch.fork_server" in _cmdline(server.pid)


def test_the_server_keeps_none_of_the_leaders_files_open(batch: Any, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(EXEC_ENV, raising=False)
    held = tmp_path / "held-by-the-leader"
    with open(held, "w"):
        pid = _prepared_server(batch, tmp_path).pid
        targets = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]

    assert str(held) not in targets


def test_the_leaders_signal_handlers_are_not_the_servers(batch: Any, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A SIGTERM handler of the leader's would keep the server alive on SIGTERM."""
    monkeypatch.delenv(EXEC_ENV, raising=False)
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        server = _prepared_server(batch, tmp_path)
    finally:
        signal.signal(signal.SIGTERM, previous)
    os.kill(server.pid, signal.SIGTERM)

    assert wait_for(lambda: server.poll() is not None, 60, "the server to end") and \
        server.returncode == -signal.SIGTERM


_ATEXIT_SCRIPT = '''
import atexit, os, sys
from toil.common import Toil
from toil.job import Job

RECORD = sys.argv[2] if __name__ == "__main__" else None

def record(path=RECORD):
    with open(path, "a") as out:
        out.write(f"{os.getpid()}\\n")

def hello(job):
    return "hello"

if __name__ == "__main__":
    atexit.register(record)
    options = Job.Runner.getDefaultArgumentParser().parse_args(sys.argv[1:2] + ["--logLevel=WARNING"])
    options.clean = "always"
    with Toil(options) as toil:
        assert toil.start(Job.wrapJobFn(hello)) == "hello"
    print(os.getpid())
'''


def test_the_leaders_exit_handlers_run_in_the_leader_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(EXEC_ENV, raising=False)
    script = tmp_path / "atexit_workflow.py"
    script.write_text(_ATEXIT_SCRIPT)
    record = tmp_path / "exit-handlers-ran-in"
    done = subprocess.run([sys.executable, str(script), "file:" + str(tmp_path / "js"), str(record)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert record.read_text().split() == [done.stdout.split()[-1]]

