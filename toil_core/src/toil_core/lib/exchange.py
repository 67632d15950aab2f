"""Swapping two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``).

Why not ``os.replace``: ext4 (with its default ``auto_da_alloc``) starts writing a file's data to
disk when a rename replaces another file, a safeguard for programs that skip ``fsync``. A job
store that updates a description that way queues one small disk write per update, and whoever
deletes the file soon after waits for it: a chain of 200 chained jobs updated 200 descriptions
and its leader then spent most of a second in ``unlink``, waiting for the disk. Swapping the new
file with the old one is just as atomic for every reader (the path names the old content, then
the new) and starts no write; the old content, left at the new file's temporary path, is then
removed. (Nothing here claims durability against power loss: nothing in the store is synced.)
"""
from __future__ import annotations

import ctypes
import errno
import os
import sys
from typing import Any, Optional

__all__ = ["exchange"]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
#: errno values that mean the kernel or the file system cannot swap (then ``exchange`` says so
#: and is not tried again in this process).
_UNSUPPORTED = frozenset(e for e in (errno.EINVAL, errno.ENOSYS, getattr(errno, "EOPNOTSUPP", None))
                         if e is not None)


def _load() -> Optional[Any]:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library older than glibc 2.28
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_renameat2: Optional[Any] = _load()


def exchange(source: str, target: str) -> bool:
    """Atomically swap the files at ``source`` and ``target`` (both must exist, on one file
    system). Returns False, changing nothing, where that cannot be done here (not Linux, a file
    system without the operation, ``target`` missing): the caller then uses ``os.replace``.
    Other failures raise :class:`OSError`."""
    global _renameat2
    function = _renameat2
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_EXCHANGE) == 0:
        return True
    error = ctypes.get_errno()
    if error in _UNSUPPORTED:
        _renameat2 = None
        return False
    if error == errno.ENOENT and os.path.lexists(source):
        return False  # the target is missing: a plain rename creates it
    raise OSError(error, os.strerror(error), source, None, target)
