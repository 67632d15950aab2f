"""Root-logger helpers of upstream's ``toil.statsAndLogging`` module, on this engine's log setup.

The log format, the ``--logLevel``/``--logFile`` options and the handlers they install are those
of :mod:`toil_core.workflow.options`; this module adds the smaller helpers upstream code calls
directly: set a level by name, configure the root logger once, log to a file, quiet the loggers
of third-party libraries and (where ``coloredlogs`` is installed) color the console output.
"""
from __future__ import annotations

import logging
import logging.handlers
import sys
from typing import Any, List, Optional

from toil_core.common.config import canonical_log_level
from toil_core.workflow.options import (
    DEFAULT_ROTATING_LOG_SIZE,
    LOG_DATE_FORMAT,
    LOG_FORMAT,
    add_logging_options,
    set_logging_from_options,
)

__all__ = [
    "DEFAULT_LOGLEVEL", "add_logging_options", "configure_root_logger", "install_log_color", "log_to_file",
    "root_logger", "set_log_level", "set_logging_from_options", "suppress_exotic_logging", "toil_logger",
]

#: The level a run logs at unless told otherwise (upstream's ``DEFAULT_LOGLEVEL``).
DEFAULT_LOGLEVEL = logging.INFO
root_logger = logging.getLogger()
toil_logger = logging.getLogger("toil")

#: Marks the handlers this module added, so that calling a helper again replaces them.
_MARK = "_toil_core_log_setup"

#: Third-party loggers quieted even when they were not created yet (they log at import time).
ALWAYS_SUPPRESS = ("boto3", "boto", "botocore", "s3transfer", "urllib3", "google", "kubernetes")


def set_log_level(level: str, set_logger: Optional[logging.Logger] = None) -> None:
    """Set ``set_logger`` (default the root logger) to the level named ``level`` ("INFO",
    "debug", "warn", "OFF" meaning CRITICAL, ...); an unknown name raises ValueError naming the
    known ones."""
    logger = set_logger if set_logger is not None else root_logger
    logger.setLevel(canonical_log_level(level))


def _own_handlers(kind: type) -> List[logging.Handler]:
    return [h for h in root_logger.handlers if getattr(h, _MARK, False) and isinstance(h, kind)]


def _install(handler: logging.Handler) -> None:
    setattr(handler, _MARK, True)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, LOG_DATE_FORMAT))
    root_logger.addHandler(handler)


def configure_root_logger() -> None:
    """Give the root logger one stderr handler with the Toil log format and the default level,
    so that whatever logs first is formatted like the rest; calling it again adds nothing."""
    writes_stderr = any(isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) is sys.stderr
                        for h in root_logger.handlers)
    if not writes_stderr:
        _install(logging.StreamHandler(sys.stderr))
    root_logger.setLevel(DEFAULT_LOGLEVEL)


def log_to_file(log_file: Optional[str], log_rotation: bool) -> None:
    """Also write the root logger's records to ``log_file`` (nothing when it is None); with
    ``log_rotation`` the file rotates at 64 MiB keeping one old file. A file this function
    opened before is closed and replaced, not doubled."""
    if not log_file:
        return
    for old in _own_handlers(logging.FileHandler):
        root_logger.removeHandler(old)
        old.close()
    new: logging.Handler
    if log_rotation:
        new = logging.handlers.RotatingFileHandler(log_file, maxBytes=DEFAULT_ROTATING_LOG_SIZE, backupCount=1)
    else:
        new = logging.FileHandler(log_file)
    _install(new)


def suppress_exotic_logging(local_logger: str) -> None:
    """Set every logger that is not under ``local_logger`` (nor under ``toil``/``toil_core``) to
    CRITICAL: the loggers created so far and, preemptively, :data:`ALWAYS_SUPPRESS`."""
    own = {local_logger.split(".")[0], "toil", "toil_core"}
    names = set(logging.Logger.manager.loggerDict) | set(ALWAYS_SUPPRESS)
    for name in names:
        if name.split(".")[0] not in own:
            logging.getLogger(name).setLevel(logging.CRITICAL)


def install_log_color(set_logger: Optional[logging.Logger] = None) -> bool:
    """Color the console output of ``set_logger`` (default the root logger) by level, when the
    optional ``coloredlogs`` package is installed and stderr is a terminal. Returns whether it
    did (upstream always has coloredlogs; here it is optional, so the call may do nothing)."""
    try:
        import coloredlogs  # type: ignore[import-not-found,import-untyped]  # lazy: optional package
    except ImportError:
        return False
    logger: Any = set_logger if set_logger is not None else root_logger
    coloredlogs.install(level=logger.getEffectiveLevel(), logger=logger, fmt=LOG_FORMAT,
                        datefmt=LOG_DATE_FORMAT, stream=sys.stderr)
    return True
