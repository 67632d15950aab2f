"""Helpers for job stores that keep files away from the worker's file system (object stores).

:func:`download_atomically` is the shape every such store's ``read_file`` has: the download goes
to a hidden temporary file beside the destination, which gets the executable bit when the stored
file had it and replaces the destination only once complete, so a reader never sees half a file
and a failed download leaves nothing behind.
"""
from __future__ import annotations

import os
import stat
from typing import Callable

__all__ = ["download_atomically"]


def download_atomically(local_path: str, fill: Callable[[str], bool]) -> None:
    """Make ``local_path`` by calling ``fill(temporary_path)``, which writes the whole file there
    and returns whether it is executable; then move it into place. If ``fill`` raises, the
    temporary file is removed and the exception propagates."""
    local_path = os.path.abspath(local_path)
    directory, base = os.path.split(local_path)
    tmp = os.path.join(directory, f".{base}.{os.urandom(6).hex()}.tmp")
    try:
        if fill(tmp):
            mode = stat.S_IMODE(os.stat(tmp).st_mode)
            os.chmod(tmp, mode | stat.S_IXUSR | ((mode & 0o044) >> 2))  # x wherever r is, as cp does
        os.replace(tmp, local_path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
