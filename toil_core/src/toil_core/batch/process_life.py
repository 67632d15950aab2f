"""Keeping job processes from outliving the processes that started them.

A job process that goes on running after its leader (or its fork server) died is dangerous: it
may still commit its job to the job store while a restarted leader runs the same job again next
to it. On Linux each job process asks the kernel for SIGKILL when its parent dies
(``prctl(PR_SET_PDEATHSIG)``); where that is unavailable the parent's own checks (a fork server
sees its input pipe close, the batch system kills the process groups it knows) remain.
Processes a job starts in turn stay in its process group and are killed with the group when the
job is killed; when the job process dies by the parent-death signal they are not tracked further.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from typing import Iterable, Optional

_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Optional[object]:
    if not sys.platform.startswith("linux"):
        return None
    prctl = None
    # The process's own symbols include libc's: no library search, which (ctypes.util.find_library)
    # runs `ldconfig -p` in a subprocess in every leader and fork server.
    for name in (None, "libc.so.6"):
        try:
            prctl = ctypes.CDLL(name, use_errno=True).prctl
            break
        except (OSError, AttributeError):
            continue
    if prctl is None:
        try:
            # lazy: only where neither the process's symbols nor libc.so.6 has prctl
            from ctypes.util import find_library

            prctl = ctypes.CDLL(find_library("c") or "libc.so.6", use_errno=True).prctl
        except (OSError, AttributeError):
            return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


#: Resolved once at import, so a forked child (or a ``preexec_fn``) only makes the call.
_PRCTL = _load_prctl()


def die_with_parent(parent_pid: int) -> bool:
    """Make this process get SIGKILL when its parent dies; call it right after fork.

    ``parent_pid`` is the pid the caller forked from: if the parent is already gone (it died
    between the fork and this call) this process exits at once. Returns whether the kernel will
    deliver the signal (False where ``prctl`` is unavailable).
    """
    armed = _PRCTL is not None and _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0  # type: ignore[operator]
    if os.getppid() != parent_pid:
        os._exit(137)
    return armed


def kill_group(pid: int) -> None:
    """SIGKILL the process group led by ``pid`` (and ``pid`` itself if it has no group yet)."""
    try:
        os.killpg(pid, signal.SIGKILL)
        return
    except (ProcessLookupError, PermissionError):
        pass
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def process_gone(pid: int) -> bool:
    """Whether ``pid`` no longer runs (missing, or a zombie nobody reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True
    except OSError:  # no /proc: ask the kernel (a zombie counts as running here)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return state in (b"Z", b"X")


def wait_gone(pids: Iterable[int], timeout: float) -> bool:
    """Wait until none of ``pids`` runs any more; False if some still did after ``timeout``."""
    pending = set(pids)
    deadline = time.monotonic() + timeout
    while pending:
        pending = {pid for pid in pending if not process_gone(pid)}
        if not pending:
            break
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True
