"""Fixtures shared by the core tests: a single_machine batch-system factory, gated shell jobs, and fresh
job stores. Plain helpers live in ``batch_support.py`` and ``workflows/harness.py``."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest

from batch_support import GiB, ShellGate, make_config


@pytest.fixture
def batch(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """A factory of SingleMachineBatchSystems (``batch(max_cores=2, scale=2)``), all shut down after."""
    from toil_core.batch.single_machine import SingleMachineBatchSystem

    systems: List[Any] = []

    def factory(max_cores: float = 2, max_memory: int = GiB, max_disk: int = GiB, **config_overrides: Any) -> Any:
        system = SingleMachineBatchSystem(make_config(tmp_path, **config_overrides), max_cores, max_memory, max_disk)
        systems.append(system)
        return system

    yield factory
    for system in systems:
        system.shutdown()


@pytest.fixture
def gate(tmp_path: Path) -> Iterator[ShellGate]:
    """Gated shell jobs (see :class:`batch_support.ShellGate`); opened at teardown so none hangs."""
    shell_gate = ShellGate(tmp_path / "gate")
    yield shell_gate
    shell_gate.open()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    """A fresh, initialized ``FileJobStore`` at ``tmp_path/store`` (minimal config), destroyed after."""
    from toil_core.common.config import Config
    from toil_core.jobstores.file_job_store import FileJobStore

    js = FileJobStore(str(tmp_path / "store"))
    js.initialize(Config())
    yield js
    js.destroy()


@pytest.fixture
def job_store_options() -> dict:
    """Option overrides for the ``job_store`` fixture; a test module overrides this fixture to change them."""
    return {}


@pytest.fixture
def job_store(tmp_path: Path, job_store_options: dict) -> Iterator[Any]:
    """A job store at ``tmp_path/js`` made through its locator and initialized with a full default Config."""
    from toil_core.common.config import Config
    from toil_core.jobstores.locator import make_job_store
    from toil_core.workflow.options import get_default_options

    locator = str(tmp_path / "js")
    options = get_default_options(locator)
    for key, value in job_store_options.items():
        setattr(options, key, value)
    config = Config()
    config.setOptions(options)
    js = make_job_store(locator)
    js.initialize(config)
    yield js
    js.destroy()
