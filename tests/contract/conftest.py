"""Shared fixtures of the contract tests."""
from __future__ import annotations

import pytest

from toil_core.common.config import Config
from toil_core.plugins import discovery


@pytest.fixture(autouse=True)
def _isolated_plugin_state(monkeypatch):
    """Options registered by settings classes and discovered plugins do not leak between tests."""
    monkeypatch.delenv("TOIL_DISABLE_PLUGINS", raising=False)
    registered = dict(Config._extra_options)
    discovery.reset()
    yield
    discovery.reset()
    Config._extra_options.clear()
    Config._extra_options.update(registered)
