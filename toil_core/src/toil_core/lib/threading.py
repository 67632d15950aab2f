"""Threads, CPU counting and cross-process locks (``toil.lib.threading``).

``global_mutex`` and :class:`LastProcessStandingArena` use ``flock`` locks on files in a shared
directory, so they work between processes (and containers) sharing that directory, and locks
held by dead processes are released automatically by the kernel.
"""
from __future__ import annotations

import errno
import fcntl
import logging
import math
import os
import sys
import threading
import uuid
from contextlib import contextmanager
from typing import Any, Iterator, Optional, Tuple

logger = logging.getLogger(__name__)


class ExceptionalThread(threading.Thread):
    """A thread whose :meth:`join` re-raises an exception raised in :meth:`run`.

    The exception is re-raised by the first ``join()`` that actually joins the thread (not one
    that times out). Subclasses override :meth:`tryRun` instead of ``run``.
    """

    exc_info: Optional[Tuple[Any, Any, Any]] = None

    def run(self) -> None:
        try:
            self.tryRun()
        except BaseException:
            # Delivered by join() instead of the default thread excepthook, so it is reported once.
            self.exc_info = sys.exc_info()
            logger.debug("Exception in thread %s; join() will re-raise it", self.name, exc_info=True)

    def tryRun(self) -> None:
        """The thread's work; by default calls the ``target`` passed to the constructor."""
        super().run()

    def join(self, *args: Optional[float], **kwargs: Optional[float]) -> None:
        super().join(*args, **kwargs)
        if not self.is_alive() and self.exc_info is not None:
            exc = self.exc_info[1]
            self.exc_info = None
            raise exc.with_traceback(exc.__traceback__)


def _read_first_line(path: str) -> Optional[str]:
    try:
        with open(path) as handle:
            return handle.readline().strip()
    except OSError:
        return None


def _cgroup_cpu_limit(root: str = "/sys/fs/cgroup", proc_cgroup: str = "/proc/self/cgroup") -> Optional[int]:
    """CPU limit from a cgroup v2 ``cpu.max`` or v1 CFS quota, rounded up; None if unlimited."""
    candidates = []
    try:
        with open(proc_cgroup) as handle:
            lines = handle.read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) == 3 and parts[0] == "0" and parts[1] == "":
            candidates.append(os.path.join(root, parts[2].lstrip("/"), "cpu.max"))
    candidates.append(os.path.join(root, "cpu.max"))
    for path in candidates:
        text = _read_first_line(path)
        if text:
            fields = text.split()
            if fields[0] == "max" or len(fields) < 2:
                return None
            try:
                return max(1, math.ceil(int(fields[0]) / int(fields[1])))
            except (ValueError, ZeroDivisionError):
                return None
    quota = _read_first_line(os.path.join(root, "cpu", "cpu.cfs_quota_us"))
    period = _read_first_line(os.path.join(root, "cpu", "cpu.cfs_period_us"))
    try:
        if quota is not None and period is not None and int(quota) > 0 and int(period) > 0:
            return max(1, math.ceil(int(quota) / int(period)))
    except ValueError:
        pass
    return None


_cpu_count_cache: Optional[int] = None


def cpu_count() -> int:
    """Whole CPUs available to this process (hyperthreads count), honouring affinity and cgroup
    quotas; at least 1. Cached after the first call."""
    global _cpu_count_cache
    if _cpu_count_cache is None:
        try:
            count = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            count = os.cpu_count() or 1
        limit = _cgroup_cpu_limit()
        if limit is not None:
            count = min(count, limit)
        _cpu_count_cache = max(1, count)
    return _cpu_count_cache


def _lock_path(base_dir: str, name: str) -> str:
    if not name or os.sep in name or name in (".", ".."):
        raise ValueError(f"Mutex name {name!r} must be a single path component")
    return os.path.join(base_dir, f"toil-mutex-{name}")


@contextmanager
def global_mutex(base_dir: str, mutex: str) -> Iterator[None]:
    """Hold the named mutex, scoped to ``base_dir``, for the body of the ``with``.

    The lock file is removed on release; we re-check the file after locking so a waiter that
    locked an already-removed file retries on the new one.
    """
    os.makedirs(base_dir, exist_ok=True)
    path = _lock_path(base_dir, mutex)
    while True:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
        except BaseException:
            os.close(fd)
            raise
        if same:
            break
        os.close(fd)
    try:
        yield
    finally:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        os.close(fd)


class LastProcessStandingArena:
    """Let processes sharing ``base_dir`` detect which one is the last to leave.

    Each member holds a lock on its own file in the arena directory; a member whose lock can be
    taken by someone else has died. Not a context manager: always pair ``enter`` with ``leave``.
    """

    def __init__(self, base_dir: str, name: str) -> None:
        self.base_dir = base_dir
        self.mutex = f"{name}-arena-lock"
        self.lockfileDir = os.path.join(base_dir, f"{name}-arena-members")
        self.lockfileFD: Optional[int] = None
        self.lockfileName: Optional[str] = None

    def enter(self) -> None:
        """Join the arena, waiting for any in-progress last-process cleanup to finish."""
        if self.lockfileFD is not None:
            raise RuntimeError("Cannot enter the arena twice without leaving")
        with global_mutex(self.base_dir, self.mutex):
            os.makedirs(self.lockfileDir, exist_ok=True)
            self.lockfileName = os.path.join(self.lockfileDir, f"{os.getpid()}-{uuid.uuid4().hex}")
            self.lockfileFD = os.open(self.lockfileName, os.O_CREAT | os.O_RDWR, 0o666)
            fcntl.flock(self.lockfileFD, fcntl.LOCK_EX)

    def leave(self) -> Iterator[bool]:
        """Leave the arena; yields once (under the arena mutex) if we were the last one in."""
        if self.lockfileFD is None or self.lockfileName is None:
            raise RuntimeError("Cannot leave the arena without entering it")
        with global_mutex(self.base_dir, self.mutex):
            os.unlink(self.lockfileName)
            os.close(self.lockfileFD)
            self.lockfileFD = self.lockfileName = None
            if not any(self._member_alive(entry) for entry in os.listdir(self.lockfileDir)):
                yield True
                try:
                    os.rmdir(self.lockfileDir)
                except OSError as e:
                    if e.errno not in (errno.ENOENT, errno.ENOTEMPTY):
                        raise

    def _member_alive(self, entry: str) -> bool:
        path = os.path.join(self.lockfileDir, entry)
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        # Nobody holds it: the member died without leaving. Clean up after it.
        os.unlink(path)
        return False
