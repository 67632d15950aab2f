"""The leader lock of a file job store: one leader per workflow at a time.

A second leader on a store that a live leader is using would repair (``--restart``) or
overwrite state under the first one's feet, so the leader takes an exclusive lock on a file in
the store before it changes anything, and keeps it until it exits.

The lock is a POSIX record lock (``fcntl.lockf``): the kernel drops it when its process dies,
however it dies, so a leader killed with SIGKILL never leaves a stale lock behind, and processes
the leader forks (workers) do not inherit it. The lock file also records who holds it ("pid N on
host H"), for the message the refused leader shows.
"""
from __future__ import annotations

import errno
import fcntl
import logging
import os
import socket
import threading
from typing import Any, Optional, Set

from .errors import JobStoreInUseError, NoSuchJobStoreException

__all__ = ["LeaderLock", "lock_leader_file"]

logger = logging.getLogger(__name__)

# Lock files this process holds. Record locks never conflict within one process, and closing
# any descriptor of the file would drop them, so this process checks here instead.
_held: Set[str] = set()
_guard = threading.Lock()


class LeaderLock:
    """A held leader lock; :meth:`release` (or the end of the process) frees it."""

    def __init__(self, fd: int, path: str) -> None:
        self._fd: Optional[int] = fd
        self.path = path

    def release(self) -> None:
        """Free the lock (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with _guard:
            _held.discard(self.path)
        os.close(fd)

    def __enter__(self) -> "LeaderLock":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


def lock_leader_file(path: str, locator: str) -> Optional[LeaderLock]:
    """Lock ``path`` (created 0600 if missing) for this process.

    :raises JobStoreInUseError: if another live process (or this one) holds the lock.
    :raises NoSuchJobStoreException: if the directory holding ``path`` is gone.
    :returns: the lock, or None (after a warning) where the file system cannot lock files.
    """
    with _guard:
        if path in _held:
            raise JobStoreInUseError(locator, path, f"this process, pid {os.getpid()}")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        except (FileNotFoundError, NotADirectoryError):
            raise NoSuchJobStoreException(locator) from None
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno in (errno.EACCES, errno.EAGAIN):
                holder = _read_holder(fd)
                os.close(fd)
                raise JobStoreInUseError(locator, path, holder) from None
            os.close(fd)
            logger.warning("Cannot lock the job store '%s' (%s): make sure no other leader runs "
                           "this workflow at the same time.", locator, err)
            return None
        _held.add(path)
    try:
        note = f"pid {os.getpid()} on host {socket.gethostname()}".encode("utf-8")
        os.ftruncate(fd, 0)
        os.pwrite(fd, note, 0)
    except OSError:
        pass  # the note only improves the next leader's message
    return LeaderLock(fd, path)


def _read_holder(fd: int) -> str:
    """What the lock file says about the leader holding it, or ''."""
    try:
        return os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        return ""
