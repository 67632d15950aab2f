"""Upstream ``toil.batchSystems.registry`` names, answered by the plugin registry."""
from __future__ import annotations

from typing import Any, Callable, Dict

DEFAULT_BATCH_SYSTEM = "single_machine"

#: Factories added at run time by workflows (upstream ``addBatchSystemFactory``).
BATCH_SYSTEM_FACTORY_REGISTRY: Dict[str, Callable[[], Any]] = {}


def addBatchSystemFactory(key: str, batchSystemFactory: Callable[[], Any]) -> None:
    BATCH_SYSTEM_FACTORY_REGISTRY[key] = batchSystemFactory


def get_batch_system(key: str) -> Any:
    if key in BATCH_SYSTEM_FACTORY_REGISTRY:
        return BATCH_SYSTEM_FACTORY_REGISTRY[key]()
    from toil_core.plugins.registry import get_batch_system_class

    return get_batch_system_class(key)


def single_machine_batch_system_factory() -> Any:
    from toil_core.batch.single_machine import SingleMachineBatchSystem

    return SingleMachineBatchSystem


def save_batch_system_plugin_state() -> Dict[str, Callable[[], Any]]:
    return dict(BATCH_SYSTEM_FACTORY_REGISTRY)


def restore_batch_system_plugin_state(snapshot: Dict[str, Callable[[], Any]]) -> None:
    BATCH_SYSTEM_FACTORY_REGISTRY.clear()
    BATCH_SYSTEM_FACTORY_REGISTRY.update(snapshot)
