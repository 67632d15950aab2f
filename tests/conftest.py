"""Shared by every test folder: ``tests/support`` (test-support modules such as podman_setup) is
importable, and the session fixtures ``moto_server`` (one moto server for every folder that asks) and
``sshd_leader`` (a real sshd on loopback standing in for a cluster leader)."""
import sys
from pathlib import Path

SUPPORT = str(Path(__file__).resolve().parent / "support")
if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)

from moto_service import moto_server  # noqa: E402,F401 - a fixture, started only when asked for
from sshd_service import sshd_leader  # noqa: E402,F401 - a real sshd on loopback, started only when asked for


import logging  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _restore_logger_settings():
    """Every test leaves the loggers' levels, ``disabled`` and ``propagate`` flags as it found them.

    The whole suite runs in one process: a test that quiets or detaches a logger (the
    ``suppress_exotic_logging`` helper, ``--logLevel`` handling) would otherwise make later tests'
    ``caplog`` capture nothing. Loggers a test creates keep what their
    library set at import; handlers are left alone (pytest adds and removes its own per phase).
    """
    manager = logging.Logger.manager
    root = logging.getLogger()
    root_level = root.level
    saved = {name: (logger.level, logger.disabled, logger.propagate)
             for name, logger in manager.loggerDict.items() if isinstance(logger, logging.Logger)}
    yield
    root.setLevel(root_level)
    for name, (level, disabled, propagate) in saved.items():
        logger = manager.loggerDict.get(name)
        if isinstance(logger, logging.Logger):
            if (logger.level, logger.disabled, logger.propagate) != (level, disabled, propagate):
                logger.setLevel(level)
                logger.disabled, logger.propagate = disabled, propagate
