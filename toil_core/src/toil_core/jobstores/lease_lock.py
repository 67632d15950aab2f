"""A leader lock for job stores without file locks (object stores): a lease in one object.

The file store's leader lock is a kernel record lock, which dies with its process. An object
store has nothing of the kind, so its lock is an object that names its holder (pid, host, boot,
the process's start time) and the time it was last renewed, written with the store's conditional
requests so that two leaders can never both believe they created or took it over:

* **create** only if no lock object exists (S3 ``If-None-Match: *``, GCS ``ifGenerationMatch=0``);
* **take over** a stale lock only if it is still the version that was judged stale (S3
  ``If-Match`` its ETag, GCS ``ifGenerationMatch`` its generation);
* **renew** every ``ttl / 4`` seconds from a daemon thread, again conditionally; a renewal that
  finds the lock changed under it logs an error (another leader took the store over).

A lock is stale when its holder is certainly gone: on the same host and boot, its process no
longer exists (or is another process with the same pid), which ``--restart`` after a SIGKILL
sees at once; on another host, when it has not been renewed for ``ttl`` seconds. A live holder
makes :func:`acquire_lease` raise :class:`JobStoreInUseError`, naming it and how long ago it
last renewed.

The backend implements :class:`LeaseBackend`'s four conditional operations on one object.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from typing import Any, Dict, Optional, Tuple

from .errors import JobStoreInUseError

__all__ = ["LeaseBackend", "LeaseLock", "acquire_lease", "DEFAULT_TTL"]

logger = logging.getLogger(__name__)

#: Seconds a lock of a leader on another host stays valid without renewal.
DEFAULT_TTL = 120.0


class LeaseBackend:
    """The conditional operations on the lock object a store provides (subclass and implement).

    ``version`` is whatever the store uses to name one version of the object (an ETag, a
    generation), as a string.
    """

    #: Where the lock lives, for messages (e.g. ``s3://bucket/leader.lock``).
    where: str = "the leader lock"

    def create(self, data: bytes) -> Optional[str]:
        """Store ``data`` only if the object does not exist; its version, or None if it existed."""
        raise NotImplementedError

    def read(self) -> Optional[Tuple[bytes, str]]:
        """The object's content and version, or None if there is none."""
        raise NotImplementedError

    def replace(self, data: bytes, version: str) -> Optional[str]:
        """Overwrite the object only if it is still at ``version``; the new version, or None if
        it changed or vanished meanwhile."""
        raise NotImplementedError

    def delete(self, version: str) -> None:
        """Delete the object if it is still at ``version`` (nothing otherwise)."""
        raise NotImplementedError


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> Optional[str]:
    """The start time of process ``pid`` (clock ticks since boot), or None if there is no such process."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            stat = handle.read()
    except FileNotFoundError:
        return None
    except OSError:
        return ""  # exists, unreadable
    # Field 22, counted after the parenthesised command name (which may hold spaces).
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else ""


def _alive(pid: int, start: Optional[str]) -> bool:
    if os.path.isdir("/proc/self"):
        now = _start_time(pid)
        return now is not None and (not start or not now or now == start)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _describe(record: Dict[str, Any], now: float) -> str:
    try:
        ago = max(0.0, now - float(record.get("renewed", now)))
        ttl = float(record.get("ttl", DEFAULT_TTL))
    except (TypeError, ValueError):
        ago, ttl = 0.0, DEFAULT_TTL
    text = f"pid {record.get('pid')} on host {record.get('host')}, renewed {ago:.0f} s ago"
    if record.get("host") != socket.gethostname():
        text += f"; if that leader is dead, its lock expires {max(0.0, ttl - ago):.0f} s from now"
    return text


def _stale(record: Dict[str, Any], now: float, ttl: float) -> bool:
    """Whether the holder described by ``record`` is certainly gone."""
    if record.get("host") == socket.gethostname() and record.get("boot") == _boot_id():
        try:
            pid = int(record.get("pid", 0))
        except (TypeError, ValueError):
            pid = 0
        return pid <= 0 or not _alive(pid, record.get("start"))
    try:
        renewed = float(record.get("renewed", 0))
    except (TypeError, ValueError):
        renewed = 0.0
    return now - renewed > float(record.get("ttl", ttl))


class LeaseLock:
    """A held lease; renewed in the background until :meth:`release`."""

    def __init__(self, backend: LeaseBackend, version: str, record: Dict[str, Any], ttl: float) -> None:
        self._backend = backend
        self._version: Optional[str] = version
        self._record = record
        self._ttl = ttl
        self._stop = threading.Event()
        self._guard = threading.Lock()
        self._thread = threading.Thread(target=self._renew_loop, name="toil-leader-lease", daemon=True)
        self._thread.start()

    @property
    def held(self) -> bool:
        return self._version is not None

    def _renew_loop(self) -> None:
        while not self._stop.wait(self._ttl / 4):
            try:
                self.renew()
            except Exception as err:  # a transient failure: the next renewal tries again
                logger.warning("Could not renew the leader lock %s: %s", self._backend.where, err)

    def renew(self) -> None:
        """Record that the holder is alive (called by the background thread)."""
        with self._guard:
            if self._version is None:
                return
            self._record["renewed"] = time.time()
            version = self._backend.replace(_encode(self._record), self._version)
            if version is None and self._backend.read() is None:
                logger.debug("The leader lock %s is gone with its job store", self._backend.where)
                self._version = None
                self._stop.set()
                return
            if version is None:
                logger.error("The leader lock %s was taken by another process: another leader may be "
                             "running this workflow. Stop one of them.", self._backend.where)
                self._version = None
                self._stop.set()
                return
            self._version = version

    def release(self) -> None:
        """Stop renewing and delete the lock (idempotent)."""
        self._stop.set()
        with self._guard:
            version, self._version = self._version, None
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        if version is not None:
            try:
                self._backend.delete(version)
            except Exception as err:  # the next leader sees our pid gone, or the lease expired
                logger.warning("Could not remove the leader lock %s: %s", self._backend.where, err)

    def __enter__(self) -> "LeaseLock":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


def _encode(record: Dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True).encode("utf-8")


def acquire_lease(backend: LeaseBackend, locator: str, ttl: float = DEFAULT_TTL) -> LeaseLock:
    """Take the leader lock of the store ``locator`` through ``backend``.

    :raises JobStoreInUseError: a live leader holds it (the message names it).
    """
    pid = os.getpid()
    record: Dict[str, Any] = {"pid": pid, "host": socket.gethostname(), "boot": _boot_id(),
                              "start": _start_time(pid) or "", "ttl": ttl, "renewed": time.time(),
                              "nonce": os.urandom(8).hex()}
    for _ in range(5):
        record["renewed"] = time.time()
        version = backend.create(_encode(record))
        if version is not None:
            return LeaseLock(backend, version, record, ttl)
        current = backend.read()
        if current is None:
            continue  # released meanwhile: create again
        raw, seen = current
        try:
            holder = json.loads(raw.decode("utf-8"))
            if not isinstance(holder, dict):
                raise ValueError("not an object")
        except (ValueError, UnicodeDecodeError):
            holder = {}  # damaged: only a crash mid-write of another format could do it; take it over
        if holder.get("nonce") == record["nonce"]:
            return LeaseLock(backend, seen, record, ttl)  # our create went through; its answer was lost
        now = time.time()
        if holder and not _stale(holder, now, ttl):
            if holder.get("pid") == pid and holder.get("host") == record["host"] and \
                    holder.get("boot") == record["boot"]:
                raise JobStoreInUseError(locator, backend.where, f"this process, pid {pid}")
            raise JobStoreInUseError(locator, backend.where, _describe(holder, now))
        if holder:
            logger.info("Taking over the leader lock of %s from a leader that is gone (%s)",
                        locator, _describe(holder, now))
        record["renewed"] = time.time()
        version = backend.replace(_encode(record), seen)
        if version is not None:
            return LeaseLock(backend, version, record, ttl)
    raise JobStoreInUseError(locator, backend.where, "other leaders keep taking it")
