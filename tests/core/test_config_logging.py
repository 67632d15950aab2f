"""set_logging_from_options: root logger level, format, log files, idempotence."""
import argparse
import logging
import logging.handlers
import sys

import pytest

from toil_core.workflow.options import (
    LOG_DATE_FORMAT,
    LOG_FORMAT,
    get_default_argument_parser,
    set_logging_from_options,
)


@pytest.fixture(autouse=True)
def restore_root_logger():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def ours():
    return [h for h in logging.getLogger().handlers if getattr(h, "_toil_core_handler", False)]


def options(*args):
    return get_default_argument_parser().parse_args(["js", *args])


def test_level_and_single_stderr_handler():
    set_logging_from_options(options())
    assert logging.getLogger().level == logging.INFO
    set_logging_from_options(options("--logDebug"))
    set_logging_from_options(options("--logDebug"))
    assert logging.getLogger().level == logging.DEBUG
    handlers = ours()
    assert len(handlers) == 1
    assert isinstance(handlers[0], logging.StreamHandler)
    assert handlers[0].formatter._fmt == LOG_FORMAT
    assert handlers[0].formatter.datefmt == LOG_DATE_FORMAT


@pytest.mark.parametrize("level, expected", [("OFF", logging.CRITICAL), ("warn", logging.WARNING),
                                             ("error", logging.ERROR), ("Debug", logging.DEBUG)])
def test_level_names_set_in_code(level, expected):
    set_logging_from_options(argparse.Namespace(logLevel=level))
    assert logging.getLogger().level == expected


def test_log_file_and_format(tmp_path):
    log = tmp_path / "run.log"
    set_logging_from_options(options("--logFile", str(log), "--logInfo"))
    set_logging_from_options(options("--logFile", str(log), "--logInfo"))
    assert len([h for h in ours() if isinstance(h, logging.FileHandler)]) == 1
    logging.getLogger("toil.test").info("hello there")
    for handler in ours():
        handler.flush()
    text = log.read_text()
    assert text.count("hello there") == 1
    assert "] [MainThread] [I] [toil.test] hello there" in text
    assert text.startswith("[20")


def test_rotating_log_file(tmp_path):
    log = tmp_path / "rot.log"
    set_logging_from_options(options("--logFile", str(log), "--rotatingLogging"))
    rotating = [h for h in ours() if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert len(rotating) == 1 and rotating[0].maxBytes == 64 * 1024 * 1024
    set_logging_from_options(options("--logFile", str(log), "--rotatingLogging", "--maxLogFileSize", "1Mi"))
    rotating = [h for h in ours() if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert len(rotating) == 1 and rotating[0].maxBytes == 1024 * 1024


def test_no_second_stderr_handler_when_one_exists():
    root = logging.getLogger()
    existing = logging.StreamHandler(sys.stderr)
    root.addHandler(existing)
    set_logging_from_options(options())
    assert not [h for h in ours() if not isinstance(h, logging.FileHandler)]
