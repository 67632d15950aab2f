"""The leader's side of the fork server (see :mod:`toil_core.batch.fork_server`).

A module of its own so that the leader, which starts the server and talks to it, imports neither
the worker, the job stores nor the user-module loader that the server process itself needs: the
leader never runs a job, and those imports were a third of its start-up in ``Toil.__enter__``.
"""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, Optional

__all__ = ["ForkServerClient"]

#: Set to 1 to start the fork server as a fresh interpreter instead of a fork of the leader.
EXEC_ENV = "TOIL_FORK_SERVER_EXEC"


def _may_fork() -> bool:
    """Whether the server can be a fork of this process: only while it runs one thread (a fork
    taken while another thread holds a lock would copy the lock held, forever)."""
    return (hasattr(os, "fork") and threading.active_count() == 1
            and os.environ.get(EXEC_ENV, "") in ("", "0"))


def _exec_server(settings: Dict[str, str]) -> subprocess.Popen:
    """The fork server as a fresh interpreter (it imports the engine and the user's module again)."""
    env = dict(os.environ)
    env.update(settings)
    return subprocess.Popen(
        [sys.executable, "-c", "from toil_core.batch.fork_server import main; main()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        close_fds=True,
    )


def _forked_server(settings: Dict[str, str]) -> "ForkedProcess":
    """The fork server as a fork of this (the leader's) process.

    The leader has already imported the engine, the job API and the user's script; a fresh
    interpreter would spend most of a small workflow's start-up (and the first job's wait)
    importing them again. The child sheds what is the leader's (file descriptors, exit handlers,
    signal handlers, logging handlers: see :func:`toil_core.batch.fork_server.main_forked`)
    before it serves.
    """
    to_server_read, to_server_write = os.pipe()
    from_server_read, from_server_write = os.pipe()
    for stream in (sys.stdout, sys.stderr):  # nothing buffered here is written twice
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    pid = os.fork()
    if pid == 0:  # the server: never returns into the leader's code
        code = 1
        try:
            os.close(to_server_write)
            os.close(from_server_read)
            # lazy: the server's code is imported by the server only (the leader never runs a job)
            from toil_core.batch.fork_server import main_forked

            code = main_forked(to_server_read, from_server_write, settings)
        except BaseException:  # noqa: B902 - report, then leave without touching the leader's state
            try:
                import traceback  # lazy: only for a server that failed to start

                traceback.print_exc()
            except BaseException:  # noqa: B902
                pass
        finally:
            os._exit(code)
    os.close(to_server_read)
    os.close(from_server_write)
    return ForkedProcess(pid, os.fdopen(to_server_write, "wb"), os.fdopen(from_server_read, "rb"))


class ForkedProcess:
    """The parts of :class:`subprocess.Popen` the client uses, for a process made by ``os.fork``."""

    def __init__(self, pid: int, stdin: Any, stdout: Any) -> None:
        self.pid = pid
        self.stdin = stdin
        self.stdout = stdout
        self.returncode: Optional[int] = None
        self._wait_lock = threading.Lock()

    def _reap(self, flags: int) -> Optional[int]:
        with self._wait_lock:
            if self.returncode is None:
                try:
                    pid, status = os.waitpid(self.pid, flags)
                except ChildProcessError:  # reaped elsewhere: its status is lost
                    pid, status = self.pid, 255 << 8
                if pid == self.pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode

    def poll(self) -> Optional[int]:
        return self._reap(os.WNOHANG)

    def wait(self, timeout: Optional[float] = None) -> int:
        if timeout is None:
            code = self._reap(0)
            assert code is not None
            return code
        deadline = time.monotonic() + timeout
        delay = 0.0005
        while True:
            code = self.poll()
            if code is not None:
                return code
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired(f"fork server {self.pid}", timeout)
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.05)

    def kill(self) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class ForkServerClient:
    """The leader's handle on a fork server process."""

    def __init__(self, on_started: Callable[[int, int], None], on_exit: Callable[..., None],
                 extra_sys_path: Optional[list] = None, log_level: str = "INFO",
                 on_dead: Optional[Callable[["ForkServerClient"], None]] = None,
                 on_begin: Optional[Callable[[int], None]] = None) -> None:
        paths = [p for p in (extra_sys_path or sys.path) if p]
        settings = {"PYTHONPATH": os.pathsep.join(paths), "TOIL_WORKER_LOG_LEVEL": log_level}
        self.process: Any = _forked_server(settings) if _may_fork() else _exec_server(settings)
        self._lock = threading.Lock()
        self._outbox: "queue.Queue[Optional[bytes]]" = queue.Queue()
        self._writer = threading.Thread(target=self._write, name="fork-server-writer", daemon=True)
        self._writer.start()
        self._on_started = on_started
        self._on_exit = on_exit
        self._on_dead = on_dead
        self._on_begin = on_begin
        self.closing = False
        self._reader = threading.Thread(target=self._read, name="fork-server-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            message = json.loads(line)
            if "pid" in message:
                self._on_started(message["id"], message["pid"])
            elif "begin" in message:
                if self._on_begin is not None:
                    self._on_begin(message["id"])
            elif "note" in message:  # the job finished and was deleted (see the server)
                self._on_exit(message["id"], message["status"], note=message["note"])
            else:
                self._on_exit(message["id"], message["status"])
        # The pipe closed: the server exited. Unless we closed it, its jobs are lost.
        if not self.closing and self._on_dead is not None:
            self._on_dead(self)

    def _write(self) -> None:
        """Writes requests from a queue, so callers never block on a full pipe (no deadlocks)."""
        stdin = self.process.stdin
        assert stdin is not None
        while True:
            data = self._outbox.get()
            if data is None:
                break
            chunks = [data]
            while True:  # batch whatever else is queued into one write
                try:
                    more = self._outbox.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._outbox.put(None)
                    break
                chunks.append(more)
            try:
                stdin.write(b"".join(chunks))
                stdin.flush()
            except (BrokenPipeError, ValueError):
                break
        try:
            stdin.close()
        except OSError:
            pass

    def send(self, message: Dict[str, Any]) -> None:
        self._outbox.put(json.dumps(message).encode() + b"\n")

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        self.closing = True
        self._outbox.put(None)
        self._writer.join(timeout=10)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)
