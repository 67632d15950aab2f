"""Upstream Toil's plugin registration API (``toil.lib.plugins``), backed by the plugin registry.

Upstream-style plugin modules (``toil_batch_system_*``, ``toil_url_access_*``, found by
:mod:`toil_core.plugins.module_scan`) call :func:`register_plugin` when imported; the names they
register are then usable like any entry-point plugin (``--batchSystem NAME``, ``toil plugins
list``). :func:`get_plugin_names` and :func:`get_plugin` answer for entry-point plugins too.
"""
from __future__ import annotations

from typing import Any, Callable, List, Literal

from . import discovery, module_scan
from .errors import PluginNotInstalledError
from .factories import BATCH_SYSTEM_FACTORY_REGISTRY
from .registry import load_plugin_object

__all__ = ["PluginType", "get_plugin", "get_plugin_names", "plugin_types", "register_plugin", "remove_plugin"]

#: The kinds of plugin upstream's registry knows.
PluginType = Literal["batch_system", "url_access"]
plugin_types: List[str] = ["batch_system", "url_access"]


def register_plugin(plugin_type: PluginType, plugin_name: str, plugin_being_registered: Callable[[], Any]) -> None:
    """Register ``plugin_being_registered``, a function that imports and returns the backend class
    (an ``AbstractBatchSystem`` subclass, or a URL access class), as ``plugin_name`` (the
    ``--batchSystem`` word, or the URL scheme)."""
    registration = module_scan.register(plugin_type, plugin_name, plugin_being_registered)
    if registration.kind == "batch_system" and registration.module is None:
        BATCH_SYSTEM_FACTORY_REGISTRY[registration.name] = plugin_being_registered


def remove_plugin(plugin_type: PluginType, plugin_name: str) -> None:
    """Forget a plugin registered with :func:`register_plugin` (unknown names are ignored)."""
    module_scan.remove(plugin_type, plugin_name)
    if plugin_type == "batch_system":
        BATCH_SYSTEM_FACTORY_REGISTRY.pop(plugin_name, None)


def get_plugin_names(plugin_type: PluginType) -> List[str]:
    """The names of every available plugin of ``plugin_type``: installed entry points and what the
    upstream-style modules register (they are imported for this)."""
    module_scan.import_all(plugin_type)
    names = set(discovery.installed_names(plugin_type))
    names.update(r.name for r in module_scan.registrations(plugin_type))
    return sorted(names)


def get_plugin(plugin_type: PluginType, plugin_name: str) -> Callable[[], Any]:
    """A function returning the class of plugin ``plugin_name``; KeyError if there is none."""
    registration = module_scan.find(plugin_type, plugin_name)
    if registration is None:
        module_scan.import_all(plugin_type)
        registration = module_scan.find(plugin_type, plugin_name)
    if registration is not None:
        return registration.factory

    try:
        discovery.resolve(plugin_type, plugin_name)
    except PluginNotInstalledError as exc:
        raise KeyError(plugin_name) from exc
    return lambda: load_plugin_object(plugin_type, plugin_name)
