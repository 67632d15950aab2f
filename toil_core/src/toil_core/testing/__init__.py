"""Test kit for Toil backends: contract suites, fake distributions, a tiny workflow.

Plugin authors subclass the contract suites in their own tests::

    from toil_core.testing import BatchSystemContract

    class TestMyBatchSystem(BatchSystemContract):
        batch_system_name = "my_bs"

The suites (:class:`BatchSystemContract`, :class:`JobStoreContract`,
:class:`URLAccessContract`, :class:`ProvisionerContract`, :class:`PluginPackagingContract`)
are pytest classes with ``__test__ = False``; every subclass is collected. Their fixtures can be
overridden. The opt-in pytest plugin ``toil_core.testing.pytest_plugin`` (enable it with
``pytest_plugins = ["toil_core.testing.pytest_plugin"]``; it is never auto-loaded) adds
fixtures for fake distributions and a header naming the installed Toil plugins.

Importing this package imports neither pytest nor any backend: names are loaded on first use.
Everything in ``__all__`` is a stable, documented API (a test pins it).
"""
from __future__ import annotations

import importlib
import sys
from typing import Any, Dict

__all__ = [
    "BatchSystemContract",
    "FakeDistributions",
    "HEAVY_MODULES",
    "JobStoreContract",
    "PluginPackagingContract",
    "ProvisionerContract",
    "URLAccessContract",
    "core_requirement_problem",
    "make_config",
    "make_fake_distribution",
    "make_job_description",
    "run_tiny_workflow",
    "subprocess_env",
]

_WHERE: Dict[str, str] = {
    "BatchSystemContract": "batch_contract",
    "JobStoreContract": "jobstore_contract",
    "URLAccessContract": "url_contract",
    "ProvisionerContract": "provisioner_contract",
    "PluginPackagingContract": "packaging_contract",
    "FakeDistributions": "fake_dist",
    "make_fake_distribution": "fake_dist",
    "HEAVY_MODULES": "_support",
    "core_requirement_problem": "_support",
    "make_config": "_support",
    "make_job_description": "_support",
    "run_tiny_workflow": "_support",
    "subprocess_env": "_support",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    _rewrite_asserts()
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def _rewrite_asserts() -> None:
    """Under pytest, have the suites' own ``assert`` statements rewritten so that a failure shows
    the values (pytest is not imported here if it is not running)."""
    pytest = sys.modules.get("pytest")
    if pytest is not None and not globals().get("_rewrite_registered"):
        globals()["_rewrite_registered"] = True
        names = [f"{__name__}.{m}" for m in sorted(set(_WHERE.values())) if f"{__name__}.{m}" not in sys.modules]
        if names:
            pytest.register_assert_rewrite(*names)


def __dir__() -> list:
    return sorted(set(globals()) | set(__all__))
