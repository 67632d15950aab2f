"""Helpers for reading many job descriptions at once (``--restart``, ``toil status``).

Reading a million stored descriptions creates millions of container objects that all stay alive;
Python's cyclic garbage collector, triggered by allocations, would walk the growing heap again
and again meanwhile (a quarter of the CPU of such a read, and none of it finds garbage: the
descriptions hold no cycles). :func:`gc_paused` turns it off for such a read and back on after.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic garbage collector in the block (if it was enabled); reference counting
    still frees what the block drops. Restored when the block exits, however it exits."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
