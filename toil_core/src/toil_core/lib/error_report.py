"""Report a user's mistake as a short message instead of a Python traceback.

A workflow script ends, when something is wrong with what it was given (a bad option value, a
bad job store locator, a job store that is missing or already there, a backend that is not
installed, a bad resource string, a job that cannot be pickled...), with an exception that
escapes the script's ``main``. Python would print that exception under a traceback of the
engine's internals, which buries the one line that names the problem and the fix.

:func:`install_excepthook` (called when Toil options are parsed and when ``Toil(options)`` is
built) replaces :data:`sys.excepthook` so such an exception prints only
``ExceptionName: message`` and a hint that ``--logDebug`` shows the traceback. The exit status
stays 1, as for any uncaught exception. With ``--logDebug`` (log level DEBUG), and for
exceptions that look like bugs rather than mistakes, the full traceback is printed as before.

What counts as a mistake (:func:`is_user_error`): an exception whose class the engine or one of
its plugins defines (their messages are written for people), or a ``ValueError``,
``TypeError``, ``OSError`` or ``RuntimeError`` raised by the engine's own code (its checks of job requirements,
paths and files raise these). Anything raised from user code, and internal errors such as
``AttributeError`` or ``KeyError``, keep their traceback.
"""
from __future__ import annotations

import os
import sys
import traceback
import types
from typing import Any, Callable, List, Optional, Type

__all__ = ["DEBUG_HINT", "debug_requested", "format_user_error", "install_excepthook", "is_user_error", "report",
           "user_frames"]

#: The line printed under a short error report.
DEBUG_HINT = "(Run again with --logDebug to see the traceback.)"

def _is_own_package(name: str) -> bool:
    """The engine's top-level packages, whose exceptions and checks speak to the user: ``toil``,
    ``toil_core`` and the backends (``toil_hpc``, ``toil_cwl``, ...; no list to keep up to date)."""
    return name == "toil" or name.startswith("toil_")
#: Built-in exception types the engine raises on purpose for bad input.
_CHECK_TYPES = (ValueError, TypeError, OSError, RuntimeError)
#: Never shortened: these mean a bug, not a mistake.
_BUG_TYPES = (AttributeError, KeyError, IndexError, NameError, AssertionError, RecursionError)


def _package_dirs() -> tuple:
    """The directories of the engine's packages that are imported (for traceback frames)."""
    dirs = []
    for name, module in list(sys.modules.items()):
        if "." in name or not _is_own_package(name):
            continue
        for path in getattr(module, "__path__", None) or ():
            dirs.append(os.path.join(os.path.realpath(path), ""))
    return tuple(dirs)


def _own_class(cls: type) -> bool:
    return any(_is_own_package(base.__module__.split(".")[0]) for base in cls.__mro__
               if base is not object and not base.__module__ == "builtins")


def _raised_by_engine(tb: Optional[types.TracebackType]) -> bool:
    """True if the innermost frame of ``tb`` is in one of the engine's packages."""
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = os.path.realpath(tb.tb_frame.f_code.co_filename)
    return any(filename.startswith(d) for d in _package_dirs())


def is_user_error(exc: BaseException) -> bool:
    """True if ``exc`` reports a mistake in what the user gave, with a message meant for them."""
    if not isinstance(exc, Exception) or isinstance(exc, _BUG_TYPES):
        return False
    if _own_class(type(exc)):
        return True
    return isinstance(exc, _CHECK_TYPES) and _raised_by_engine(exc.__traceback__)


def format_user_error(exc: BaseException) -> str:
    """``ExceptionName: message`` (the message alone when it already starts with the name).
    An exception may carry a shorter text for this report in ``user_report`` (a failed
    workflow's exception leaves out the job logs the leader printed already)."""
    name = type(exc).__name__
    short = getattr(exc, "user_report", None)  # an exception's own shorter report, if it has one
    text = (short if isinstance(short, str) and short else str(exc)).strip() or repr(exc)
    return text if text.startswith(name) else f"{name}: {text}"


def user_frames(exc: BaseException, limit: int = 5) -> List[str]:
    """``at FILE:LINE in FUNCTION`` for the frames of ``exc``'s traceback outside the engine and
    the standard library (the user's code that led to the error), innermost last."""
    own = _package_dirs()
    stdlib = os.path.join(os.path.realpath(os.path.dirname(os.__file__)), "")
    lines = []
    for frame in traceback.extract_tb(exc.__traceback__):
        path = os.path.realpath(frame.filename)
        if path.startswith(own) or path.startswith(stdlib) or frame.filename.startswith("<"):
            continue
        lines.append(f"  at {frame.filename}:{frame.lineno} in {frame.name}")
    return lines[-limit:]


def report(exc: BaseException, debug: bool = False) -> str:
    """What to print for ``exc``: the short report for a mistake (with the user's frames that
    led to it), else (or with ``debug``) the full traceback."""
    if not debug and isinstance(exc, SystemExit):  # a deliberate exit: where, not a traceback
        return "\n".join([f"SystemExit: the job called sys.exit({exc.code!r})", *user_frames(exc)]) + "\n"
    if debug or not is_user_error(exc):
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return "\n".join([format_user_error(exc), *user_frames(exc), DEBUG_HINT]) + "\n"


def debug_requested(options: Any) -> bool:
    """True if ``options`` (a parsed namespace or a Config) asks for DEBUG logging."""
    level = getattr(options, "logLevel", None)
    return str(level or "").strip().upper() == "DEBUG"


_ExceptHook = Callable[[Type[BaseException], BaseException, Optional[types.TracebackType]], Any]


class _Hook:
    """The installed hook; keeps the hook it replaced for everything that is not a mistake."""

    def __init__(self, previous: _ExceptHook, debug: bool) -> None:
        self.previous = previous
        self.debug = debug

    def __call__(self, kind: Type[BaseException], exc: BaseException,
                 tb: Optional[types.TracebackType]) -> Any:
        if self.debug or not is_user_error(exc):
            return self.previous(kind, exc, tb)
        try:
            sys.stderr.write(report(exc))
            sys.stderr.flush()
        except Exception:  # pragma: no cover - stderr gone: fall back to Python's report
            return self.previous(kind, exc, tb)
        return None


def install_excepthook(debug: bool = False) -> None:
    """Make uncaught user mistakes print one short message (a traceback only with ``debug``).

    Idempotent: a second call only updates ``debug``. Whatever hook was installed before
    (Python's own, or one the script set) still handles everything else.
    """
    current = sys.excepthook
    if isinstance(current, _Hook):
        current.debug = debug
        return
    sys.excepthook = _Hook(current, debug)
