"""Upstream ``toil.batchSystems.registry`` names, answered by the plugin registry."""
from __future__ import annotations

from typing import Any, Callable, Dict, List

from toil_core.plugins.factories import BATCH_SYSTEM_FACTORY_REGISTRY
from toil_core.plugins.registry import get_batch_system_class
from toil_core.plugins.upstream import get_plugin_names, register_plugin

DEFAULT_BATCH_SYSTEM = "single_machine"


def add_batch_system_factory(key: str, class_factory: Callable[[], Any]) -> None:
    """Register ``class_factory`` (a function returning an AbstractBatchSystem subclass) as
    ``--batchSystem key``. Called by a workflow script, or by an upstream-style plugin module
    (``toil_batch_system_*``) when it is imported: see :mod:`toil_core.plugins.module_scan`."""
    register_plugin("batch_system", key, class_factory)


def addBatchSystemFactory(key: str, batchSystemFactory: Callable[[], Any]) -> None:
    """Upstream 5.x spelling of :func:`add_batch_system_factory`."""
    add_batch_system_factory(key, batchSystemFactory)


def get_batch_systems() -> List[str]:
    """The names ``--batchSystem`` accepts: installed plugins and registered factories."""
    return sorted(set(get_plugin_names("batch_system")) | set(BATCH_SYSTEM_FACTORY_REGISTRY))


def get_batch_system(key: str) -> Any:
    """The batch system class for ``key`` (a registered factory's, else the plugin's)."""
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
