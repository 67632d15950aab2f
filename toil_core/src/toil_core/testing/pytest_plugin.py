"""Opt-in pytest plugin for testing Toil plugins. Enable it in a test module or the top-level
conftest.py::

    pytest_plugins = ["toil_core.testing.pytest_plugin"]

It is never loaded automatically (toil-core declares no ``pytest11`` entry point). It adds:

* a report header line naming the interpreter and the installed Toil plugins (so a run that
  misses a plugin installed in another environment says so);
* ``toil_plugins_reset`` -- forget plugin discovery before and after the test, with
  ``TOIL_DISABLE_PLUGINS`` unset;
* ``toil_fake_distributions`` -- a :class:`~toil_core.testing.FakeDistributions` in the test's
  temporary directory, cleaned up afterwards;
* ``toil_run_workflow`` -- :func:`~toil_core.testing.run_tiny_workflow` bound to the test's
  temporary directory: ``toil_run_workflow("my_bs")`` returns the finished process.

The contract suites do not need this plugin; they bring their own fixtures.
"""
from __future__ import annotations

import sys
from typing import Any, Callable, Iterator, List

import pytest


def pytest_report_header(config: Any) -> List[str]:
    try:
        # lazy: every pytest run loads this plugin through its entry point
        from toil_core.plugins.registry import list_plugins

        names = [f"{info.kind}:{info.name}" for info in list_plugins()]
    except Exception as exc:  # a broken environment must still run its tests
        names = [f"(listing failed: {exc})"]
    return [f"toil plugins ({sys.executable}): {', '.join(names) or 'none'}"]


@pytest.fixture
def toil_plugins_reset(monkeypatch: Any) -> Iterator[None]:
    # lazy: every pytest run loads this plugin through its entry point
    from toil_core.plugins import discovery

    monkeypatch.delenv(discovery.DISABLE_ENV, raising=False)
    discovery.reset()
    yield
    discovery.reset()


@pytest.fixture
def toil_fake_distributions(tmp_path: Any, toil_plugins_reset: None) -> Iterator[Any]:
    # lazy: every pytest run loads this plugin through its entry point
    from toil_core.testing.fake_dist import FakeDistributions

    with FakeDistributions(tmp_path / "fake-distributions") as dists:
        yield dists


@pytest.fixture
def toil_run_workflow(tmp_path: Any) -> Callable[..., Any]:
    # lazy: every pytest run loads this plugin through its entry point
    from toil_core.testing._support import run_tiny_workflow

    def run(batch_system: str = "single_machine", **kwargs: Any) -> Any:
        return run_tiny_workflow(tmp_path / f"workflow-{batch_system}", batch_system, **kwargs)

    return run
