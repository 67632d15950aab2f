"""Thread-safe reservations of a machine's resources: an amount (:class:`ResourcePool`, such as
bytes of memory) or distinct items (:class:`ResourceSet`, such as accelerator indices).

Upstream Toil's single-machine batch system reserves what each job needs through these two
classes, and backends written for upstream reuse them (``toil.batchSystems.abstractBatchSystem``).
A reservation either succeeds now (``acquireNow``), waits up to ``timeout`` seconds for releases
(``acquire``, then :class:`AcquisitionTimeoutException`), or wraps a block
(``with pool.acquisitionOf(n):``).
"""
from __future__ import annotations

import contextlib
import threading
import time
from typing import Iterable, Iterator, Set

from toil_core.batch.abstract import AcquisitionTimeoutException

__all__ = ["ResourcePool", "ResourceSet"]


class ResourcePool:
    """An integral amount of one resource (``value`` is what is free now)."""

    def __init__(self, initial_value: int, resource_type: str, timeout: float = 5) -> None:
        if initial_value < 0:
            raise ValueError(f"A {resource_type} pool cannot start below zero ({initial_value}).")
        #: Guards ``value``; notified on every release so waiting acquirers look again.
        self.condition = threading.Condition()
        self.value = initial_value
        self.resource_type = resource_type
        self.timeout = timeout

    def acquireNow(self, amount: int) -> bool:
        """Reserve ``amount`` if it is free right now; True if it was reserved."""
        with self.condition:
            if amount > self.value:
                return False
            self.value -= amount
            return True

    def acquire(self, amount: int) -> None:
        """Reserve ``amount``, waiting for releases; AcquisitionTimeoutException after ``timeout``
        seconds without enough being free."""
        deadline = time.monotonic() + self.timeout
        with self.condition:
            while amount > self.value:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AcquisitionTimeoutException(resource=self.resource_type, requested=amount,
                                                      available=self.value)
                self.condition.wait(timeout=remaining)
            self.value -= amount

    def release(self, amount: int) -> None:
        """Give back ``amount`` and wake the waiting acquirers."""
        with self.condition:
            self.value += amount
            self.condition.notify_all()

    @contextlib.contextmanager
    def acquisitionOf(self, amount: int) -> Iterator[None]:
        """Hold ``amount`` for the duration of a ``with`` block."""
        self.acquire(amount)
        try:
            yield
        finally:
            self.release(amount)

    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        return f"ResourcePool({self.value})"


class ResourceSet:
    """Distinct items of one resource (``value`` is the set free now); a reservation names the
    exact items it wants."""

    def __init__(self, initial_value: Iterable[int], resource_type: str, timeout: float = 5) -> None:
        self.condition = threading.Condition()
        self.value: Set[int] = set(initial_value)
        self.resource_type = resource_type
        self.timeout = timeout

    def acquireNow(self, subset: Set[int]) -> bool:
        """Reserve every item of ``subset`` if all are free right now; True if they were."""
        with self.condition:
            if not set(subset) <= self.value:
                return False
            self.value -= set(subset)
            return True

    def acquire(self, subset: Set[int]) -> None:
        """Reserve ``subset``, waiting for releases; AcquisitionTimeoutException after ``timeout``
        seconds without all of it being free."""
        wanted = set(subset)
        deadline = time.monotonic() + self.timeout
        with self.condition:
            while not wanted <= self.value:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AcquisitionTimeoutException(resource=self.resource_type, requested=wanted,
                                                      available=set(self.value))
                self.condition.wait(timeout=remaining)
            self.value -= wanted

    def release(self, subset: Set[int]) -> None:
        """Give back ``subset`` and wake the waiting acquirers."""
        with self.condition:
            self.value |= set(subset)
            self.condition.notify_all()

    def get_free_snapshot(self) -> Set[int]:
        """A copy of the items free now (a hint for what to ask for: it may be stale at once)."""
        with self.condition:
            return set(self.value)

    @contextlib.contextmanager
    def acquisitionOf(self, subset: Set[int]) -> Iterator[None]:
        """Hold ``subset`` for the duration of a ``with`` block."""
        self.acquire(subset)
        try:
            yield
        finally:
            self.release(subset)

    def __str__(self) -> str:
        return str(sorted(self.value))

    def __repr__(self) -> str:
        return f"ResourceSet({sorted(self.value)})"
