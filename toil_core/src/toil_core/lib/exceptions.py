"""Re-raising helpers from upstream ``toil.lib.exceptions``."""
from __future__ import annotations

import logging
import sys
from types import TracebackType
from typing import Any, Optional, Type

__all__ = ["panic", "raise_"]


class panic:
    """Clean up after a failure without losing the failure.

    Use inside an ``except`` block: ``with panic(log): cleanup()``. An exception raised by the
    clean-up is logged (when a logger is given) and dropped; on leaving the block the exception
    being handled when ``panic`` was entered is raised again, with its traceback.
    """

    def __init__(self, log: Optional[logging.Logger] = None) -> None:
        self.log = log
        self.exc_info: Any = None

    def __enter__(self) -> "panic":
        self.exc_info = sys.exc_info()
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc_value: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        if exc_value is not None and self.log is not None:
            self.log.warning("Exception during clean-up after a failure", exc_info=exc_value)
        primary_type, primary_value, primary_traceback = self.exc_info
        if primary_value is None:
            return None  # used outside an except block: a clean-up exception propagates as usual
        raise_(primary_type, primary_value, primary_traceback)


def raise_(exc_type: Optional[Type[BaseException]], exc_value: Optional[BaseException],
           traceback: Optional[TracebackType]) -> None:
    """Raise ``exc_value`` (or a new ``exc_type()``) with ``traceback`` attached."""
    if exc_value is None:
        assert exc_type is not None, "raise_ needs an exception type or value"
        exc_value = exc_type()
    if exc_value.__traceback__ is not traceback:
        raise exc_value.with_traceback(traceback)
    raise exc_value
