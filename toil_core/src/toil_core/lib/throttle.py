"""Rate limiting helpers (``toil.lib.throttle``)."""
from __future__ import annotations

import functools
import threading
import time
from types import TracebackType
from typing import Any, Callable, Optional, Type

#: A monotonic clock in seconds, and a function that waits a number of seconds. Both can be replaced
#: (keyword arguments of the classes below) so that tests drive time instead of waiting for it.
Clock = Callable[[], float]
Sleeper = Callable[[float], None]


class LocalThrottle:
    """Thread-safe rate limiter; each thread is throttled independently.

    Call :meth:`throttle` before the rate-limited action, or decorate a function (deprecated).
    """

    def __init__(self, min_interval: float, *, clock: Clock = time.monotonic, sleep: Sleeper = time.sleep) -> None:
        self.min_interval = min_interval
        self.per_thread = threading.local()
        self._clock = clock
        self._sleep = sleep

    def throttle(self, wait: bool = True) -> bool:
        """Return True once ``min_interval`` has passed since this thread's last True.

        With ``wait`` the call sleeps until then; without it, returns False immediately if too soon.
        """
        now = self._clock()
        last = getattr(self.per_thread, "last", None)
        if last is not None:
            remaining = last + self.min_interval - now
            if remaining > 0:
                if not wait:
                    return False
                self._sleep(remaining)
                now = self._clock()
        self.per_thread.last = now
        return True

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.throttle()
            return function(*args, **kwargs)
        return wrapper


class throttle:
    """Make a ``with`` body (or each call of a decorated function) take at least ``min_interval``.

    No sleeping happens when the body raises.
    """

    def __init__(self, min_interval: float, *, clock: Clock = time.monotonic, sleep: Sleeper = time.sleep) -> None:
        self.min_interval = min_interval
        self._start: Optional[float] = None
        self._clock = clock
        self._sleep = sleep

    def __enter__(self) -> "throttle":
        self._start = self._clock()
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc_val: Optional[BaseException],
                 exc_tb: Optional[TracebackType]) -> None:
        if exc_type is None and self._start is not None:
            remaining = self._start + self.min_interval - self._clock()
            if remaining > 0:
                self._sleep(remaining)

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with throttle(self.min_interval, clock=self._clock, sleep=self._sleep):
                return function(*args, **kwargs)
        return wrapper
