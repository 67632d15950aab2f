"""Rate limiting helpers (``toil.lib.throttle``)."""
from __future__ import annotations

import functools
import threading
import time
from types import TracebackType
from typing import Any, Callable, Optional, Type


class LocalThrottle:
    """Thread-safe rate limiter; each thread is throttled independently.

    Call :meth:`throttle` before the rate-limited action, or decorate a function (deprecated).
    """

    def __init__(self, min_interval: float) -> None:
        self.min_interval = min_interval
        self.per_thread = threading.local()

    def throttle(self, wait: bool = True) -> bool:
        """Return True once ``min_interval`` has passed since this thread's last True.

        With ``wait`` the call sleeps until then; without it, returns False immediately if too soon.
        """
        now = time.monotonic()
        last = getattr(self.per_thread, "last", None)
        if last is not None:
            remaining = last + self.min_interval - now
            if remaining > 0:
                if not wait:
                    return False
                time.sleep(remaining)
                now = time.monotonic()
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

    def __init__(self, min_interval: float) -> None:
        self.min_interval = min_interval
        self._start: Optional[float] = None

    def __enter__(self) -> "throttle":
        self._start = time.monotonic()
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc_val: Optional[BaseException],
                 exc_tb: Optional[TracebackType]) -> None:
        if exc_type is None and self._start is not None:
            remaining = self._start + self.min_interval - time.monotonic()
            if remaining > 0:
                time.sleep(remaining)

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with throttle(self.min_interval):
                return function(*args, **kwargs)
        return wrapper
