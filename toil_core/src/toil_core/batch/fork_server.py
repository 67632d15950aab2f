"""A warm process that forks one child per Toil job.

Starting a fresh Python interpreter per job costs far more than most small jobs. The fork server
is started once per workflow run, as a fork of the leader (which has imported the engine and the
user's script already; see :func:`main_forked`) or, with ``TOIL_FORK_SERVER_EXEC=1`` or while the
leader runs other threads, as a fresh interpreter (:func:`main`); it imports the worker code, opens
the job store and imports the user's module before its first job, then forks a child for every job. Each job still runs in its own
process (its own memory, cwd, environment and module globals), but starts warm.

Protocol: newline-delimited JSON over the server's stdin/stdout.
  leader -> server  {"op": "prepare", "locator": L, "env": {...}}   (optional, before the first run:
                    open the job store and import the user's module; no reply)
                    {"op": "run", "id": N, "locator": L, "job": JOBID, "env": {...}}
                    {"op": "run", "jobs": [[N, JOBID], ...], "locator": L, "env": {...}}
                    {"op": "kill", "id": N}
  server -> leader  {"id": N, "pid": PID}      once the child that will run it exists
                    {"id": N, "begin": 1}      when the child starts running it
                    {"id": N, "status": CODE}  when it ends (negative: killed by that signal;
                                               with "note": NOTE when the job store noted that
                                               the job finished and was deleted, see
                                               ``AbstractJobStore.finish_note``)

A request with ``jobs`` is a batch: one forked child runs the jobs one after the other (the fork
and the process teardown, most of a small job's cost, are paid once). Each job still fails on its
own: the child tells the server over a pipe when it begins and ends each job, so a job that fails
is reported failed and the child goes on with the next one. If the child dies (a job crashed it,
or it was killed), the job it was running gets the child's exit status and the jobs it had not
begun run again in a new child; a kill aimed at a job that has not begun yet is answered at once
and the child running some other job is killed and that job rerun (an attempt that never
committed leaves nothing behind, see :mod:`toil_core.job.attempt_files`).
Closing the server's stdin makes it kill its children and exit. So does the death of the leader
(its stdin closes, and its parent pid changes); and every child gets SIGKILL from the kernel when
the server itself dies (see :mod:`process_life`), so no job outlives a killed leader and commits
next to the jobs a restarted leader runs.
"""
from __future__ import annotations

import atexit
import fcntl
import gc
import importlib
import json
import logging
import os
import selectors
import signal
import sys
import time
import traceback
from typing import Any, Dict, List, Optional, Set, Tuple

from toil_core.batch.process_life import die_with_parent, kill_group
from toil_core.jobstores.encryption import KEY_ENV
from toil_core.jobstores.locator import open_job_store, parse_locator
from toil_core.resource import load_user_module
from toil_core.worker.worker import run_worker_noted, workflow_dir

#: What every job needs, imported by the server before its first fork (the leader imports only
#: :mod:`toil_core.batch.fork_client`, never this module: it never runs a job).
WARM_MODULES = ("toil_core.worker.worker", "toil_core.filestores", "toil_core.lib.conversions")


#: Developer aid: TOIL_FORK_SERVER_TRACE=path logs every request and reply with a timestamp
#: (opened by :func:`main`: a forked server closes what it inherited before it serves).
_TRACE: Any = None


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


class _Child:
    """A forked child and the jobs it was given (one, or a batch run one after the other)."""

    __slots__ = ("pid", "request", "jobs", "begun", "ended", "current", "status_fd", "buffer", "cancelled",
                 "rerun_current")

    def __init__(self, pid: int, request: Dict[str, Any], jobs: List[Tuple[int, str]], status_fd: int) -> None:
        self.pid = pid
        self.request = request
        self.jobs = jobs
        self.begun: Set[int] = set()
        self.ended: Set[int] = set()
        #: The job the child is running now (begun, not ended).
        self.current: Optional[int] = None
        self.status_fd = status_fd
        self.buffer = b""
        #: Jobs killed before they began: reported killed when the child is gone, never run.
        self.cancelled: Set[int] = set()
        #: The child was killed for another job's sake: the job it was running runs again.
        self.rerun_current = False


def _environment_snapshot() -> Dict[Any, Any]:
    """A copy of this process's environment, cheap to take and compare between the jobs of a
    batch (CPython keeps ``os.environ`` as a dict of encoded strings; copying that dict skips
    decoding every name and value)."""
    data = getattr(os.environ, "_data", None)
    return dict(data) if isinstance(data, dict) else dict(os.environ)


def _restore_environment(snapshot: Dict[Any, Any]) -> None:
    """Make the environment what :func:`_environment_snapshot` saw."""
    decode = getattr(os.environ, "decodevalue", None)
    decode_key = getattr(os.environ, "decodekey", None)
    if callable(decode) and callable(decode_key) and isinstance(getattr(os.environ, "_data", None), dict):
        snapshot = {decode_key(k): decode(v) for k, v in snapshot.items()}
    os.environ.clear()
    os.environ.update(snapshot)


def _run_jobs(store: Any, jobs: List[Tuple[int, str]], status_fd: int) -> int:
    """In a forked child: run the jobs one after the other, telling the server over ``status_fd``
    when each begins and ends. A job's failure is its own: the next job runs regardless."""
    profile_dir = os.environ.get("TOIL_PROFILE_WORKERS_DIR")
    # The jobs of a batch reuse the inodes of the descriptions the ones before them deleted or
    # replaced (see FileJobStore's keep_spare_files); what is left is deleted at the end (a
    # process killed in between leaves its spares in the store's tmp/, as it would leave a
    # temporary file it was writing: --restart and the store's destroy() remove them).
    keep_spares = getattr(store, "keep_spare_files", None) if len(jobs) > 1 else None
    if keep_spares is not None:
        keep_spares(True)
    last = jobs[-1][0] if jobs else None
    for batch_id, job_store_id in jobs:
        os.write(status_fd, b"B %d\n" % batch_id)
        environment = _environment_snapshot()  # a job's changes to the environment stay with that job
        code = 2
        note: Optional[str] = None
        try:
            if profile_dir:  # developer aid: one cProfile dump per job
                import cProfile  # lazy: a developer aid, only with TOIL_PROFILE_WORKERS_DIR

                # TOIL_PROFILE_CLOCK=cpu: CPU time, which a busy machine does not inflate.
                cpu_clock = os.environ.get("TOIL_PROFILE_CLOCK") == "cpu"
                profiler = cProfile.Profile(time.process_time) if cpu_clock else cProfile.Profile()
                code, note = profiler.runcall(run_worker_noted, store, job_store_id)
                profiler.dump_stats(os.path.join(profile_dir, f"worker-{os.getpid()}-{batch_id}.prof"))
            else:
                code, note = run_worker_noted(store, job_store_id)
        except BaseException:  # noqa: B902 - the worker records failures; this is a failure to do so
            traceback.print_exc()
        if _environment_snapshot() != environment:
            _restore_environment(environment)
        if batch_id == last and keep_spares is not None:  # before the end is reported: the
            keep_spares(False)  # server may kill this process as soon as the workflow is done
        if note is not None and code == 0:  # (checked by the worker: one word of printable ASCII)
            os.write(status_fd, b"E %d %d %s\n" % (batch_id, code, note.encode("ascii")))
        else:
            os.write(status_fd, b"E %d %d\n" % (batch_id, code))
    return 0


class _Server:
    def __init__(self) -> None:
        self.children: Dict[int, _Child] = {}  # pid -> child
        self.pids: Dict[int, int] = {}  # job id -> pid of the child holding it
        self.selector: Any = None
        self.stores: Dict[str, Any] = {}
        self.out = sys.stdout.buffer
        #: Replies not written yet (see :meth:`send`).
        self.outbox: List[bytes] = []
        self.read_fd = sys.stdin.fileno()
        self.buffer = b""
        #: The leader: when it dies this server is reparented and stops.
        self.parent = os.getppid()

    def send(self, message: Dict[str, Any]) -> None:
        """Queue a reply; :meth:`flush` writes the queued ones out together (once per turn of
        :meth:`serve`: one write and one wake-up of the leader's reader for all the events of
        that turn, instead of one per message)."""
        self.outbox.append(json.dumps(message).encode() + b"\n")
        if _TRACE is not None:
            _TRACE.write(f"{time.time():.6f} send {message}\n")

    def flush(self) -> None:
        if not self.outbox:
            return
        data = b"".join(self.outbox)
        self.outbox.clear()
        try:
            self.out.write(data)
            self.out.flush()
        except (BrokenPipeError, ValueError):  # the leader is gone; serve() stops soon
            pass

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
        jobs = [(int(i), str(j)) for i, j in request["jobs"]] if "jobs" in request \
            else [(int(request["id"]), str(request["job"]))]
        try:
            store = self.job_store(request["locator"], request.get("store_class"), request.get("env"))
        except Exception as error:
            sys.stderr.write(f"toil fork server: cannot open job store {request['locator']}: {error}\n")
            for batch_id, _ in jobs:
                self.send({"id": batch_id, "status": 2})
            return
        self.fork(request, jobs, store)

    def fork(self, request: Dict[str, Any], jobs: List[Tuple[int, str]], store: Any) -> None:
        self.flush()  # the child must not inherit (and write out again) queued replies
        sys.stdout.flush()
        sys.stderr.flush()
        # Keep the garbage collector from touching (and so copying) every inherited object.
        gc.freeze()
        server_pid = os.getpid()
        status_read, status_write = os.pipe()
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
                os.close(status_read)
                for child in self.children.values():  # other children's pipes are theirs
                    os.close(child.status_fd)
                os.dup2(2, 1)  # never write to the protocol pipe
                os.environ.update(request.get("env") or {})
                code = _run_jobs(store, jobs, status_write)
            except BaseException:  # noqa: B902

                traceback.print_exc()
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        os.close(status_write)
        os.set_blocking(status_read, False)
        # The child makes itself a group leader too; doing it here as well means a kill that
        # follows at once reaches the whole group whichever of the two runs first.
        try:
            os.setpgid(pid, pid)
        except OSError:  # the child got there first and already ran on, or died
            pass
        child = _Child(pid, request, jobs, status_read)
        self.children[pid] = child
        if self.selector is not None:
            self.selector.register(status_read, selectors.EVENT_READ, child)
        for batch_id, _ in jobs:
            self.pids[batch_id] = pid
            self.send({"id": batch_id, "pid": pid})

    def read_status(self, child: _Child) -> None:
        """Relay what the child said about its jobs (``B id``: began, ``E id code``: ended)."""
        while True:
            try:
                data = os.read(child.status_fd, 65536)
            except BlockingIOError:
                break
            except OSError:
                data = b""
            if not data:
                break
            child.buffer += data
        *lines, child.buffer = child.buffer.split(b"\n")
        for line in lines:
            fields = line.split()
            if not fields:
                continue
            batch_id = int(fields[1])
            if fields[0] == b"B":
                child.current = batch_id
                child.begun.add(batch_id)
                if batch_id not in child.cancelled:
                    self.send({"id": batch_id, "begin": 1})
            elif fields[0] == b"E":
                child.current = None
                child.ended.add(batch_id)
                if self.pids.get(batch_id) == child.pid:
                    del self.pids[batch_id]
                if batch_id not in child.cancelled:
                    ended: Dict[str, Any] = {"id": batch_id, "status": int(fields[2])}
                    if len(fields) > 3:
                        ended["note"] = fields[3].decode("ascii", "replace")
                    self.send(ended)

    def kill(self, job_id: int) -> None:
        pid = self.pids.get(job_id)
        if pid is None:
            return
        child = self.children.get(pid)
        if child is not None:
            self.read_status(child)
            if job_id in child.ended:
                return
            if child.current != job_id:
                # Not begun: it never runs. The job running now (if any) is innocent: rerun it.
                child.cancelled.add(job_id)
                child.rerun_current = True
            else:
                child.rerun_current = False
        kill_group(pid)

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = self.children.pop(pid, None)
            if child is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            try:
                os.killpg(pid, signal.SIGKILL)  # leftovers the job started in its group
            except (ProcessLookupError, PermissionError):
                pass
            self.read_status(child)  # the child is gone: all it wrote is in the pipe
            if self.selector is not None:
                self.selector.unregister(child.status_fd)
            os.close(child.status_fd)
            self.finish(child, code)

    def finish(self, child: _Child, code: int) -> None:
        """The child is gone: report the job it was running, rerun the ones it never began."""
        rerun: List[Tuple[int, str]] = []
        # A child that died before it began any job, without being killed for another job's
        # sake, cannot run them: they all fail with its status rather than being forked forever.
        progress = bool(child.begun) or child.rerun_current or bool(child.cancelled)
        for batch_id, job_store_id in child.jobs:
            if batch_id in child.ended:
                continue
            if self.pids.get(batch_id) == child.pid:
                del self.pids[batch_id]
            if batch_id in child.cancelled:
                self.send({"id": batch_id, "status": code if code < 0 else -signal.SIGKILL})
            elif (batch_id == child.current and not child.rerun_current) or not progress:
                self.send({"id": batch_id, "status": code if code != 0 else 2})
            else:
                rerun.append((batch_id, job_store_id))
        if rerun:
            store = self.stores.get(child.request["locator"])
            if store is None:  # cannot happen: the store was open when the child was forked
                for batch_id, _ in rerun:
                    self.send({"id": batch_id, "status": 2})
                return
            self.fork(child.request, rerun, store)

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
        selector = self.selector = selectors.DefaultSelector()
        selector.register(self.read_fd, selectors.EVENT_READ, "input")
        selector.register(wake_read, selectors.EVENT_READ, "wake")
        running = True
        while running:
            for key, _ in selector.select(timeout=1.0):
                if isinstance(key.data, _Child):
                    self.read_status(key.data)
                elif key.data == "input":
                    running = self.handle_input()
                else:
                    try:
                        while os.read(wake_read, 4096):
                            pass
                    except BlockingIOError:
                        pass
            self.reap()
            self.flush()
            if os.getppid() != self.parent:  # the leader died (its pipe may be held elsewhere)
                running = False
        for child in list(self.children.values()):
            child.rerun_current = False
            child.jobs = [job for job in child.jobs if job[0] in child.begun]  # nothing reruns now
            kill_group(child.pid)
        self.reap()
        self.flush()


#: What a forked server took over from the leader and replaced (logging handlers, standard
#: streams): kept referenced so that none is finalized in the server, where closing it would
#: close a descriptor number the server may by then use for something else.
_SHED: List[Any] = []


def main_forked(read_fd: int, write_fd: int, settings: Dict[str, str]) -> int:
    """Serve as a fork of the leader (see :func:`toil_core.batch.fork_client._forked_server`),
    reading requests from ``read_fd`` and answering on ``write_fd``; returns the exit code.

    The child starts as a copy of the leader: everything it takes over that is the leader's is
    set as a freshly started server would find it before it serves. Its descriptors are only the
    standard ones (the leader's lock file, pipes and logs stay the leader's: a kernel record lock
    is not inherited, and a pipe or log held open here would outlive the leader); no exit,
    signal or logging handler of the leader runs here; the standard streams are new objects on
    descriptors 0 (requests), 1 (replies) and 2 (the leader's stderr).
    """
    _shed_leader_state(read_fd, write_fd)
    os.environ.update(settings)
    main()
    return 0


def _shed_leader_state(read_fd: int, write_fd: int) -> None:
    import faulthandler  # lazy: a built-in module, only for a forked server

    if faulthandler.is_enabled():  # it writes to a descriptor of the leader's
        faulthandler.disable()
    atexit._clear()
    for number in signal.valid_signals():
        try:
            handler = signal.getsignal(number)
        except (ValueError, OSError):
            continue
        if callable(handler) and handler is not signal.default_int_handler:
            signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.set_wakeup_fd(-1)
    sys.excepthook = sys.__excepthook__
    root = logging.getLogger()
    _SHED.extend(root.handlers)
    root.handlers = []
    _SHED.extend((sys.stdin, sys.stdout, sys.stderr, sys.__stdin__, sys.__stdout__, sys.__stderr__))
    # Copies above the standard numbers first: a leader started with some of 0-2 closed may
    # have got the pipes there.
    read_fd, write_fd = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3) for fd in (read_fd, write_fd))
    os.dup2(read_fd, 0)
    os.dup2(write_fd, 1)
    try:
        os.fstat(2)
    except OSError:  # the leader had no stderr: the server's goes nowhere, as a fresh one's would
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
    os.closerange(3, _max_fd())
    # New stream objects for the process's life (the leader's may be a test runner's capture).
    sys.stdin = open(0, "r", closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False, errors="backslashreplace")  # noqa: SIM115
    for name in ("stdin", "stdout", "stderr"):
        setattr(sys, f"__{name}__", getattr(sys, name))
    sys.argv = ["-c"]
    # The leader's objects are never collected here: keep the collector off them (and their
    # memory pages shared with the leader's).
    gc.freeze()


def _max_fd() -> int:
    try:
        return max(os.sysconf("SC_OPEN_MAX"), 256)
    except (ValueError, OSError):
        return 65536


def main() -> None:
    global _TRACE
    if os.environ.get("TOIL_FORK_SERVER_TRACE"):
        _TRACE = open(os.environ["TOIL_FORK_SERVER_TRACE"], "a", buffering=1)  # noqa: SIM115
    # Workers log through the logging module; configure it like the leader asked.
    level = os.environ.get("TOIL_WORKER_LOG_LEVEL", "INFO")
    logging.basicConfig(level=getattr(logging, level, logging.INFO),
                        format="[%(asctime)s] [%(threadName)s] [%(levelname).1s] [%(name)s] %(message)s")
    for module in WARM_MODULES:  # imported once here, so every forked job finds them loaded
        importlib.import_module(module)

    _Server().serve()
    if _TRACE is not None:  # the CPU of this server and of the children it reaped (the jobs)
        import resource  # lazy: a developer aid

        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        _TRACE.write(f"{time.time():.6f} cpu server {own.ru_utime:.3f} {own.ru_stime:.3f} "
                     f"jobs {kids.ru_utime:.3f} {kids.ru_stime:.3f}\n")
    _exit_without_teardown(0)


def _exit_without_teardown(code: int) -> None:
    """Exit as a normal exit would, minus the interpreter's teardown.

    The server holds the worker, the job store and the user's module: freeing every module and
    object one by one at exit cost it more CPU than its whole request loop in a short workflow,
    and nothing is left to free (its children are reaped, its pipes are the OS's). The exit
    handlers still run (logging's flush, any the user's module registered), then the streams are
    flushed.
    """
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)

