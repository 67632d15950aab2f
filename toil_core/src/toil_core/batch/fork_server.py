"""A warm process that forks one child per Toil job.

Starting a fresh Python interpreter per job costs far more than most small jobs. The fork server
is started once per workflow run; it imports the worker code, opens the job store and imports the
user's module on its first job, then forks a child for every job. Each job still runs in its own
process (its own memory, cwd, environment and module globals), but starts warm.

Protocol: newline-delimited JSON over the server's stdin/stdout.
  leader -> server  {"op": "prepare", "locator": L, "env": {...}}   (optional, before the first run:
                    open the job store and import the user's module; no reply)
                    {"op": "run", "id": N, "locator": L, "job": JOBID, "env": {...}}
                    {"op": "kill", "id": N}
  server -> leader  {"id": N, "pid": PID}      once the child exists
                    {"id": N, "status": CODE}  when it ends (negative: killed by that signal)
Closing the server's stdin makes it kill its children and exit. So does the death of the leader
(its stdin closes, and its parent pid changes); and every child gets SIGKILL from the kernel when
the server itself dies (see :mod:`process_life`), so no job outlives a killed leader and commits
next to the jobs a restarted leader runs.
"""
from __future__ import annotations

import gc
import importlib
import json
import logging
import os
import queue
import selectors
import signal
import subprocess
import sys
import threading
import time
import traceback
from typing import Any, Callable, Dict, Optional

from toil_core.batch.process_life import die_with_parent, kill_group
from toil_core.jobstores.encryption import KEY_ENV
from toil_core.jobstores.locator import open_job_store, parse_locator
from toil_core.resource import load_user_module
from toil_core.worker.worker import run_worker, workflow_dir

#: What every job needs, imported by the server before its first fork (the leader, which imports
#: this module too, never runs a job and does not import them).
WARM_MODULES = ("toil_core.worker.worker", "toil_core.filestores", "toil_core.lib.conversions")


#: Developer aid: TOIL_FORK_SERVER_TRACE=path logs every request and reply with a timestamp.
_TRACE = open(os.environ["TOIL_FORK_SERVER_TRACE"], "a", buffering=1) if os.environ.get(
    "TOIL_FORK_SERVER_TRACE") else None


def _open_job_store(locator: str, store_class: Optional[str] = None) -> Any:
    """Open the job store; with ``store_class`` ("module:Class", resolved by the leader through
    the plugin registry) the plugin machinery is not imported here, keeping forks cheap."""
    if store_class:
        module_name, _, attr = store_class.partition(":")
        cls = getattr(importlib.import_module(module_name), attr)
        store = cls(parse_locator(locator)[1])
        store.resume()
        return store

    return open_job_store(locator)


class _Server:
    def __init__(self) -> None:
        self.children: Dict[int, int] = {}  # pid -> job id
        self.pids: Dict[int, int] = {}  # job id -> pid
        self.stores: Dict[str, Any] = {}
        self.out = sys.stdout.buffer
        self.read_fd = sys.stdin.fileno()
        self.buffer = b""
        #: The leader: when it dies this server is reparented and stops.
        self.parent = os.getppid()

    def send(self, message: Dict[str, Any]) -> None:
        try:
            self.out.write(json.dumps(message).encode() + b"\n")
            self.out.flush()
        except (BrokenPipeError, ValueError):  # the leader is gone; serve() stops soon
            pass
        if _TRACE is not None:
            _TRACE.write(f"{time.time():.6f} send {message}\n")

    def job_store(self, locator: str, store_class: Optional[str] = None,
                  env: Optional[Dict[str, str]] = None) -> Any:
        store = self.stores.get(locator)
        if store is None:
            if env and env.get(KEY_ENV):  # an encrypted store: its key file, as the leader gave it
                os.environ[KEY_ENV] = env[KEY_ENV]

            store = _open_job_store(locator, store_class)
            self.stores[locator] = store
            try:
                load_user_module(store, workflow_dir(store.config))
            except BaseException as error:  # noqa: B902 - the child reports import errors properly
                if getattr(error, "toil_retry", True) is not False:  # a permanent one: the job says it
                    sys.stderr.write(f"toil fork server: could not preload the user module: {error}\n")
        return store

    def prepare(self, request: Dict[str, Any]) -> None:
        """Open the job store and import the user's module before the first job asks for them."""
        try:
            self.job_store(request["locator"], request.get("store_class"), request.get("env"))
        except Exception:  # noqa: B902 - the first job opens the store again and reports why not
            pass

    def run(self, request: Dict[str, Any]) -> None:
        job_id = request["id"]
        try:
            store = self.job_store(request["locator"], request.get("store_class"), request.get("env"))
        except Exception as error:
            sys.stderr.write(f"toil fork server: cannot open job store {request['locator']}: {error}\n")
            self.send({"id": job_id, "status": 2})
            return
        sys.stdout.flush()
        sys.stderr.flush()
        # Keep the garbage collector from touching (and so copying) every inherited object.
        gc.freeze()
        server_pid = os.getpid()
        pid = os.fork()
        if pid == 0:  # child
            code = 2
            try:
                os.setpgid(0, 0)
                die_with_parent(server_pid)
                for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGPIPE):
                    signal.signal(sig, signal.SIG_DFL)
                signal.set_wakeup_fd(-1)
                os.close(0)
                os.dup2(2, 1)  # never write to the protocol pipe
                os.environ.update(request.get("env") or {})

                profile_dir = os.environ.get("TOIL_PROFILE_WORKERS_DIR")
                if profile_dir:  # developer aid: one cProfile dump per job
                    import cProfile  # lazy: a developer aid, only with TOIL_PROFILE_WORKERS_DIR

                    profiler = cProfile.Profile()
                    code = profiler.runcall(run_worker, store, request["job"])
                    profiler.dump_stats(os.path.join(profile_dir, f"worker-{os.getpid()}.prof"))
                else:
                    code = run_worker(store, request["job"])
            except BaseException:  # noqa: B902

                traceback.print_exc()
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        # The child makes itself a group leader too; doing it here as well means a kill that
        # follows at once reaches the whole group whichever of the two runs first.
        try:
            os.setpgid(pid, pid)
        except OSError:  # the child got there first and already ran on, or died
            pass
        self.children[pid] = job_id
        self.pids[job_id] = pid
        self.send({"id": job_id, "pid": pid})

    def kill(self, job_id: int) -> None:
        pid = self.pids.get(job_id)
        if pid is not None:
            kill_group(pid)

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            job_id = self.children.pop(pid, None)
            if job_id is None:
                continue
            self.pids.pop(job_id, None)
            code = os.waitstatus_to_exitcode(status)
            try:
                os.killpg(pid, signal.SIGKILL)  # leftovers the job started in its group
            except (ProcessLookupError, PermissionError):
                pass
            self.send({"id": job_id, "status": code})

    def handle_input(self) -> bool:
        data = os.read(self.read_fd, 65536)
        if not data:
            return False
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            if not line.strip():
                continue
            request = json.loads(line)
            if _TRACE is not None:
                _TRACE.write(f"{time.time():.6f} recv {request.get('op')} {request.get('id')}\n")
            if request["op"] == "run":
                self.run(request)
            elif request["op"] == "prepare":
                self.prepare(request)
            elif request["op"] == "kill":
                self.kill(request["id"])
        return True

    def serve(self) -> None:
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        os.set_blocking(wake_read, False)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        selector = selectors.DefaultSelector()
        selector.register(self.read_fd, selectors.EVENT_READ, "input")
        selector.register(wake_read, selectors.EVENT_READ, "wake")
        running = True
        while running:
            for key, _ in selector.select(timeout=1.0):
                if key.data == "input":
                    running = self.handle_input()
                else:
                    try:
                        while os.read(wake_read, 4096):
                            pass
                    except BlockingIOError:
                        pass
            self.reap()
            if os.getppid() != self.parent:  # the leader died (its pipe may be held elsewhere)
                running = False
        for pid in list(self.children):
            kill_group(pid)
        self.reap()


def main() -> None:
    # Workers log through the logging module; configure it like the leader asked.
    level = os.environ.get("TOIL_WORKER_LOG_LEVEL", "INFO")
    logging.basicConfig(level=getattr(logging, level, logging.INFO),
                        format="[%(asctime)s] [%(threadName)s] [%(levelname).1s] [%(name)s] %(message)s")
    for module in WARM_MODULES:  # imported once here, so every forked job finds them loaded
        importlib.import_module(module)

    _Server().serve()


class ForkServerClient:
    """The leader's handle on a fork server process."""

    def __init__(self, on_started: Callable[[int, int], None], on_exit: Callable[[int, int], None],
                 extra_sys_path: Optional[list] = None, log_level: str = "INFO",
                 on_dead: Optional[Callable[["ForkServerClient"], None]] = None) -> None:
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
        self.closing = False
        self._reader = threading.Thread(target=self._read, name="fork-server-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            message = json.loads(line)
            if "pid" in message:
                self._on_started(message["id"], message["pid"])
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
