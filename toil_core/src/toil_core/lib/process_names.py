"""Names for live processes, readable by other processes (upstream ``toil.lib.threading``).

A process gets one random name per base directory: the file ``<base_dir>/<name>.name``, which the
process holds an exclusive ``flock`` on while it lives. Another process asks whether the name is
alive by trying to take that lock: the kernel drops a dead process's locks, so a free lock means a
dead owner (whose file :func:`collect_process_name_garbage` removes).
"""
from __future__ import annotations

import errno
import fcntl
import os
import threading
import uuid
from typing import Dict

__all__ = [
    "collect_process_name_garbage",
    "current_process_name_for",
    "current_process_name_lock",
    "destroy_all_process_names",
    "get_process_name",
    "process_name_exists",
]

#: Guards :data:`current_process_name_for`.
current_process_name_lock = threading.Lock()
#: Base directory -> this process's name there.
current_process_name_for: Dict[str, str] = {}
_held_fds: Dict[str, int] = {}  # base directory -> descriptor holding the name's lock
_owner_pid = os.getpid()


def _path(base_dir: str, name: str) -> str:
    return os.path.join(base_dir, name + ".name")


def _forget_after_fork() -> None:
    """A forked child does not hold its parent's locks: it gets names of its own."""
    global _owner_pid
    if os.getpid() != _owner_pid:
        current_process_name_for.clear()
        _held_fds.clear()
        _owner_pid = os.getpid()


def get_process_name(base_dir: str) -> str:
    """This process's name in ``base_dir`` (created and locked on first use)."""
    with current_process_name_lock:
        _forget_after_fork()
        name = current_process_name_for.get(base_dir)
        if name is None:
            os.makedirs(base_dir, exist_ok=True)
            name = uuid.uuid4().hex
            fd = os.open(_path(base_dir, name), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)
            _held_fds[base_dir] = fd
            current_process_name_for[base_dir] = name
        return name


def process_name_exists(base_dir: str, name: str) -> bool:
    """Whether the process that took ``name`` in ``base_dir`` is still alive."""
    with current_process_name_lock:
        _forget_after_fork()
        if current_process_name_for.get(base_dir) == name:
            return True
    try:
        fd = os.open(_path(base_dir, name), os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return True  # its owner holds the lock: alive
        raise
    finally:
        os.close(fd)  # closing also drops a lock we took
    return False


def destroy_all_process_names() -> None:
    """Give up every name this process holds (remove the files, release the locks)."""
    with current_process_name_lock:
        _forget_after_fork()
        for base_dir, name in list(current_process_name_for.items()):
            try:
                os.unlink(_path(base_dir, name))
            except FileNotFoundError:
                pass
            fd = _held_fds.pop(base_dir, None)
            if fd is not None:
                os.close(fd)
        current_process_name_for.clear()


def collect_process_name_garbage() -> None:
    """Remove the name files of dead processes in every base directory this process uses."""
    with current_process_name_lock:
        base_dirs = list(current_process_name_for)
    for base_dir in base_dirs:
        for entry in os.listdir(base_dir):
            if entry.endswith(".name") and not process_name_exists(base_dir, entry[:-len(".name")]):
                try:
                    os.unlink(os.path.join(base_dir, entry))
                except FileNotFoundError:
                    pass
