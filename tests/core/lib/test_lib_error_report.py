"""toil_core.lib.error_report: which exceptions are a user's mistake, and what is printed for them."""
from __future__ import annotations

import sys

import pytest

from toil_core.common.config import OptionError
from toil_core.job.requirements import parse_cores
from toil_core.lib import error_report
from toil_core.lib.error_report import DEBUG_HINT, format_user_error, install_excepthook, is_user_error, report


def _raised(func, *args):
    try:
        func(*args)
    except BaseException as err:  # noqa: B902 - the test wants whatever it raised
        return err
    raise AssertionError("did not raise")


def test_the_engines_own_exceptions_are_mistakes():
    assert is_user_error(OptionError("--retryCount (-1) must be 0 or more."))


def test_a_builtin_error_raised_by_the_engines_checks_is_a_mistake():
    err = _raised(parse_cores, -1)
    assert isinstance(err, ValueError) and is_user_error(err)


def test_a_builtin_error_raised_by_user_code_keeps_its_traceback():
    def users_code():
        raise ValueError("the user's own bug")

    err = _raised(users_code)
    assert not is_user_error(err)
    assert "Traceback (most recent call last)" in report(err)


def test_bug_types_are_never_shortened():
    assert not is_user_error(_raised(lambda: {}["missing"]))


def test_backends_count_as_the_engine_without_a_list():
    assert error_report._is_own_package("toil_someday_backend") and error_report._is_own_package("toil")
    assert not error_report._is_own_package("toolz")


def test_the_short_report_names_the_problem_the_users_line_and_the_debug_hint():
    err = _raised(parse_cores, -1)
    text = report(err)
    assert text.startswith("ValueError: The cores requirement must be a positive, finite number, got -1")
    assert "Traceback" not in text and text.rstrip().endswith(DEBUG_HINT)
    assert "Traceback (most recent call last)" in report(err, debug=True)


def test_an_exception_may_carry_a_shorter_report():
    err = OptionError("long text with logs")
    err.user_report = "short text"  # type: ignore[attr-defined]
    assert format_user_error(err) == "OptionError: short text"


def test_install_is_idempotent_and_keeps_the_previous_hook(monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "excepthook", lambda *info: seen.append(info))
    install_excepthook(debug=False)
    hook = sys.excepthook
    install_excepthook(debug=True)
    assert sys.excepthook is hook and hook.debug is True
    hook(ValueError, ValueError("x"), None)  # not raised by the engine: the previous hook handles it
    assert len(seen) == 1


def test_the_hook_prints_a_mistake_without_a_traceback(monkeypatch, capsys):
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    install_excepthook(debug=False)
    err = OptionError("--retryCount (-1) must be 0 or more.")
    sys.excepthook(type(err), err, None)
    assert capsys.readouterr().err == f"OptionError: --retryCount (-1) must be 0 or more.\n{DEBUG_HINT}\n"
