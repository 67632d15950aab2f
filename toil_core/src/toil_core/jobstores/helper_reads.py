"""Reading many job descriptions on two cores: a forked helper process reads part of each batch.

``--restart`` and ``toil status`` read every stored job of a workflow; with a million pending
jobs that is a million small files opened, read and parsed as JSON, nearly all of it CPU time in
one Python process. A :class:`HelperReader` forks a child that reads part of every batch of job
IDs while the parent reads the rest, and sends back each description's field values (without
the pickled body unless the caller wants it) in one ``marshal`` blob per batch; turning those
back into descriptions costs the parent a few microseconds per job instead of the tens a read
costs. On a machine with a free core the batch takes about half the time.

Only stores that say their reads may be made from a forked copy of the process
(``forked_reads_ok``: the file job store, whose reads are plain file reads) get a helper, and
only on platforms with ``fork``. The helper reads, never writes. Whatever goes wrong in it (a
description it cannot read, a pipe that breaks, the helper dying) costs only speed: the parent
reads those jobs itself, raising what a read of its own raises.
"""
from __future__ import annotations

import marshal
import os
import struct
from typing import Any, Dict, List, Optional, Sequence

from toil_core.job.description import JobDescription
from toil_core.lib.store_errors import NoSuchJobException

__all__ = ["HelperReader", "load_descriptions"]

_HEADER = struct.Struct("<Q")
#: A reply's entry for a job that is not stored (finished and deleted).
_GONE = 0
#: A reply's entry for a job the helper could not read: the parent reads it itself.
_FAILED = 1
#: Batches smaller than this are read by the parent alone (the round trip is not worth it).
MIN_SPLIT = 64
#: The share of a batch the helper reads (the parent also turns the helper's share back into
#: descriptions, and does whatever its caller does with every job).
HELPER_SHARE = 0.55


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exact(fd: int, size: int) -> Optional[bytes]:
    chunks: List[bytes] = []
    while size:
        chunk = os.read(fd, min(size, 1 << 22))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _send(fd: int, data: bytes) -> None:
    _write_all(fd, _HEADER.pack(len(data)) + data)


def _receive(fd: int) -> Optional[bytes]:
    head = _read_exact(fd, _HEADER.size)
    if head is None:
        return None
    return _read_exact(fd, _HEADER.unpack(head)[0])


def _read_for_parent(store: Any, job_ids: Sequence[str], bodies: bool) -> bytes:
    """The helper's reply to one batch: per job its field values, :data:`_GONE` or :data:`_FAILED`."""
    entries: List[Any] = []
    for job_id in job_ids:
        try:
            desc = store.load_job(job_id)
        except NoSuchJobException:
            entries.append(_GONE)
            continue
        except Exception:  # the parent reads it again and raises what it raises
            entries.append(_FAILED)
            continue
        if not bodies:
            desc.inline_body = None
        desc.created = []
        entries.append(desc.field_values())
    try:
        return marshal.dumps(entries)
    except ValueError:  # a value marshal cannot carry (a store of someone else's): all again
        return marshal.dumps([_FAILED] * len(job_ids))


class HelperReader:
    """A forked child reading job descriptions for this process (see the module docstring).

    Use :meth:`start` (None where no helper can be used) and :meth:`close` (also a context
    manager); :meth:`load` reads one batch.
    """

    def __init__(self, store: Any, bodies: bool = False) -> None:
        self.store = store
        self.bodies = bodies
        request_read, self._request = os.pipe()
        self._reply, reply_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the helper: serve batches until the parent closes its end
            code = 0
            try:
                os.close(self._request)
                os.close(self._reply)
                while True:
                    blob = _receive(request_read)
                    if blob is None:
                        break
                    _send(reply_write, _read_for_parent(store, marshal.loads(blob), bodies))
            except BaseException:
                code = 1
            finally:
                os._exit(code)  # never the parent's clean-up (atexit, buffered output)
        self.pid = pid
        os.close(request_read)
        os.close(reply_write)
        self._broken = False

    @classmethod
    def start(cls, store: Any, bodies: bool = False) -> Optional["HelperReader"]:
        """A helper for ``store``, or None if its reads cannot be made from a fork. With
        ``bodies`` the descriptions it reads keep their inline bodies."""
        if not getattr(store, "forked_reads_ok", False) or not hasattr(os, "fork"):
            return None
        try:
            return cls(store, bodies)
        except OSError:
            return None

    def load(self, job_ids: Sequence[str]) -> Dict[str, Optional[JobDescription]]:
        """Job ID -> stored description (without its inline body unless the helper keeps
        bodies) or None if the job is not stored, for every ID of ``job_ids``; the helper reads
        part of them meanwhile."""
        ids = list(job_ids)
        split = len(ids) - int(len(ids) * HELPER_SHARE)
        if self._broken or len(ids) < MIN_SPLIT:
            split = len(ids)
        theirs = ids[split:]
        if theirs:
            try:
                _send(self._request, marshal.dumps(theirs))
            except OSError:
                self._broken = True
                theirs, split = [], len(ids)
        try:
            found = _load_here(self.store, ids[:split], self.bodies)
            if theirs:
                found.update(self._collect(theirs))
        except BaseException:
            self._broken = True  # (a reply may be left unread: never take it for the next batch's)
            raise
        return found

    def _collect(self, job_ids: List[str]) -> Dict[str, Optional[JobDescription]]:
        try:
            blob = _receive(self._reply)
        except OSError:
            blob = None
        entries = marshal.loads(blob) if blob is not None else None
        if entries is None or len(entries) != len(job_ids):
            self._broken = True  # the helper is gone: read the rest here
            return _load_here(self.store, job_ids, self.bodies)
        found: Dict[str, Optional[JobDescription]] = {}
        retry: List[str] = []
        from_values = JobDescription.from_field_values
        for job_id, entry in zip(job_ids, entries):
            if entry == _GONE:
                found[job_id] = None
            elif entry == _FAILED:
                retry.append(job_id)
            else:
                found[job_id] = from_values(entry)
        if retry:
            found.update(_load_here(self.store, retry, self.bodies))
        return found

    def close(self) -> None:
        """Stop the helper (it exits when its request pipe closes) and reap it."""
        for fd in (self._request, self._reply):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass

    def __enter__(self) -> "HelperReader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _load_here(store: Any, job_ids: Sequence[str], bodies: bool) -> Dict[str, Optional[JobDescription]]:
    found = store.load_jobs(job_ids) if job_ids else {}
    for desc in found.values():
        if desc is not None:
            if not bodies:
                desc.inline_body = None
            desc.created = []
    return found


def load_descriptions(store: Any, job_ids: Sequence[str], helper: Optional[HelperReader] = None,
                      bodies: bool = False) -> Dict[str, Optional[JobDescription]]:
    """Job ID -> stored description (None: not stored), read with ``helper`` if there is one
    (which then decides whether inline bodies are kept), else here (keeping them with
    ``bodies``). The ``created`` records are always dropped (only the leader reading a job
    right after its worker exited may use them)."""
    if helper is not None:
        return helper.load(job_ids)
    return _load_here(store, job_ids, bodies)
