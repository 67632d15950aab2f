"""Process resource accounting and file search (``toil.lib.resources``)."""
from __future__ import annotations

import fnmatch
import os
import resource
import sys
from typing import List, Tuple


def _max_rss_kib(usage: resource.struct_rusage) -> int:
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    return int(usage.ru_maxrss // 1024) if sys.platform == "darwin" else int(usage.ru_maxrss)


def get_total_cpu_time_and_memory_usage() -> Tuple[float, int]:
    """Return (user+system CPU seconds of this process and its reaped children,
    max RSS in KiB of this process or its single largest child)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime
    return cpu, max(_max_rss_kib(me), _max_rss_kib(children))


def get_total_cpu_time() -> float:
    """Return user+system CPU seconds of this process and its reaped children."""
    return get_total_cpu_time_and_memory_usage()[0]


def glob(glob_pattern: str, directoryname: str) -> List[str]:
    """Return absolute paths of files under ``directoryname`` (recursively) whose names match
    ``glob_pattern`` (e.g. ``'*.txt'``)."""
    matches = []
    for root, _dirs, files in os.walk(directoryname):
        for name in fnmatch.filter(files, glob_pattern):
            matches.append(os.path.abspath(os.path.join(root, name)))
    return sorted(matches)
