"""The leader's side of the fork server (see :mod:`toil_core.batch.fork_server`).

A module of its own so that the leader, which starts the server and talks to it, imports neither
the worker, the job stores nor the user-module loader that the server process itself needs: the
leader never runs a job, and those imports were a third of its start-up in ``Toil.__enter__``.
"""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from typing import Any, Callable, Dict, Optional

__all__ = ["ForkServerClient"]


class ForkServerClient:
    """The leader's handle on a fork server process."""

    def __init__(self, on_started: Callable[[int, int], None], on_exit: Callable[..., None],
                 extra_sys_path: Optional[list] = None, log_level: str = "INFO",
                 on_dead: Optional[Callable[["ForkServerClient"], None]] = None,
                 on_begin: Optional[Callable[[int], None]] = None) -> None:
        env = dict(os.environ)
        paths = [p for p in (extra_sys_path or sys.path) if p]
        env["PYTHONPATH"] = os.pathsep.join(paths)
        env["TOIL_WORKER_LOG_LEVEL"] = log_level
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from toil_core.batch.fork_server import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
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
