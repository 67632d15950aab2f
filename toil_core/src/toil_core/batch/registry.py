"""Upstream ``toil.batchSystems.registry`` names, answered by the plugin registry."""
from __future__ import annotations

from typing import Any, Callable, Dict

from toil_core.plugins.factories import BATCH_SYSTEM_FACTORY_REGISTRY
from toil_core.plugins.registry import get_batch_system_class

DEFAULT_BATCH_SYSTEM = "single_machine"


def addBatchSystemFactory(key: str, batchSystemFactory: Callable[[], Any]) -> None:
    BATCH_SYSTEM_FACTORY_REGISTRY[key] = batchSystemFactory


def get_batch_system(key: str) -> Any:
    if key in BATCH_SYSTEM_FACTORY_REGISTRY:
        return BATCH_SYSTEM_FACTORY_REGISTRY[key]()
    return get_batch_system_class(key)


def single_machine_batch_system_factory() -> Any:
    return get_batch_system_class(DEFAULT_BATCH_SYSTEM)


def save_batch_system_plugin_state() -> Dict[str, Callable[[], Any]]:
    return dict(BATCH_SYSTEM_FACTORY_REGISTRY)


def restore_batch_system_plugin_state(snapshot: Dict[str, Callable[[], Any]]) -> None:
    BATCH_SYSTEM_FACTORY_REGISTRY.clear()
    BATCH_SYSTEM_FACTORY_REGISTRY.update(snapshot)
