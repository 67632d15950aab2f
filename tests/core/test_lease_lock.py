"""The object stores' leader lock (toil_core.jobstores.lease_lock) on an in-memory backend that
keeps the conditional-write rules of S3 and Cloud Storage: who may take a lock, and when."""
from __future__ import annotations

import json
import os
import time
from typing import Dict, Optional, Tuple

import pytest

from toil_core.jobstores.errors import JobStoreInUseError
from toil_core.jobstores.lease_lock import LeaseBackend, acquire_lease


class MemoryLease(LeaseBackend):
    """One object with versions; every write is conditional, as on the real servers."""

    where = "memory://lock"

    def __init__(self) -> None:
        self.data: Optional[bytes] = None
        self.version = 0

    def create(self, data: bytes) -> Optional[str]:
        if self.data is not None:
            return None
        self.data, self.version = data, self.version + 1
        return str(self.version)

    def read(self) -> Optional[Tuple[bytes, str]]:
        return None if self.data is None else (self.data, str(self.version))

    def replace(self, data: bytes, version: str) -> Optional[str]:
        if self.data is None or str(self.version) != version:
            return None
        self.data, self.version = data, self.version + 1
        return str(self.version)

    def delete(self, version: str) -> None:
        if str(self.version) == version:
            self.data = None


def _holder(**fields: object) -> bytes:
    record: Dict[str, object] = {"pid": 1, "host": "elsewhere.example", "boot": "b", "start": "1",
                                 "ttl": 120.0, "renewed": time.time(), "nonce": "n"}
    record.update(fields)
    return json.dumps(record).encode()


def test_a_live_leader_on_another_host_keeps_the_lock() -> None:
    backend = MemoryLease()
    backend.create(_holder())
    with pytest.raises(JobStoreInUseError, match="pid 1 on host elsewhere.example.*expires"):
        acquire_lease(backend, "aws:x:y")


def test_an_expired_lease_from_another_host_is_taken_over() -> None:
    backend = MemoryLease()
    backend.create(_holder(renewed=time.time() - 121))
    lock = acquire_lease(backend, "aws:x:y")
    assert json.loads(backend.data or b"{}")["pid"] == os.getpid()
    lock.release()
    assert backend.data is None


def test_a_dead_holder_on_this_host_is_taken_over_at_once() -> None:
    import socket

    from toil_core.jobstores.lease_lock import _boot_id

    backend = MemoryLease()
    backend.create(_holder(host=socket.gethostname(), boot=_boot_id(), pid=2 ** 22 + 12345))
    acquire_lease(backend, "file:x").release()


def test_renewal_stops_when_another_leader_took_the_lock() -> None:
    backend = MemoryLease()
    lock = acquire_lease(backend, "aws:x:y", ttl=3600)
    backend.replace(_holder(), str(backend.version))  # taken over behind its back
    lock.renew()
    assert not lock.held
    lock.release()
    assert backend.data is not None, "the new holder's lock is left alone"
