"""Finding and loading plugins. The only module of the core that imports stevedore.

* :func:`entry_points` is one memoized pass over the installed distributions' entry points in
  the ``toil.*`` groups, through :mod:`importlib.metadata` (or the plugin index,
  :mod:`toil_core.plugins.index`, while the installed distributions are unchanged). It imports
  no plugin.
* :func:`resolve` loads only the entry point(s) named like the requested plugin (through a
  stevedore :class:`~stevedore.named.NamedExtensionManager`), registers each in a pluggy
  manager, calls the kind's registration hook and returns the spec of that name.
* ``TOIL_DISABLE_PLUGINS=token,...`` switches plugins off. A token is an entry point name
  (``slurm``), ``kind:name`` (``url_access:http``) or a distribution name (``toil-hpc``).
* :func:`reset` forgets everything (tests that install fake distributions call it).
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import os
import sys
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, cast

import attrs
import pluggy

from . import hookspecs, module_scan
from . import metadata as _md
from .errors import (
    PluginConflictError,
    PluginDisabledError,
    PluginImportError,
    PluginIncompatibleError,
    PluginMisconfiguredError,
    PluginNotInstalledError,
)
from .metadata import DISABLE_ENV, EntryPointRecord, core_version, disabled_by, incompatibility
from .specs import KindInfo, PluginSpec, kind_info, loose_key, normalize_name

__all__ = [
    "DISABLE_ENV",
    "EntryPointRecord",
    "ResolvedPlugin",
    "core_version",
    "disabled_by",
    "entry_points",
    "failure_of",
    "incompatibility",
    "installed_names",
    "is_installed",
    "is_loaded",
    "load_cross_cutting_plugins",
    "load_specs",
    "note_failure",
    "on_reset",
    "plugin_manager",
    "reset",
    "resolve",
    "resolved_plugins",
]

log = logging.getLogger(__name__)


@attrs.frozen
class ResolvedPlugin:
    """A spec together with the entry point it came from and the loaded plugin object."""

    spec: PluginSpec
    record: EntryPointRecord
    plugin: Any = attrs.field(eq=False, repr=False)


_lock = threading.RLock()
_records: Optional[Tuple[EntryPointRecord, ...]] = None
_resolved: Dict[Tuple[str, str, str], ResolvedPlugin] = {}
_loaded: Dict[EntryPointRecord, Any] = {}
_failures: Dict[EntryPointRecord, BaseException] = {}
_manager: Optional[pluggy.PluginManager] = None
_cross_cutting_loaded = False
_reset_callbacks: List[Callable[[], None]] = []


def reset() -> None:
    """Forget the discovery pass, loaded plugins and every memoized lookup."""
    global _records, _manager, _cross_cutting_loaded
    with _lock:
        _records = None
        _resolved.clear()
        _loaded.clear()
        _failures.clear()
        _manager = None
        _cross_cutting_loaded = False
        importlib.invalidate_caches()
        module_scan.reset()
        for callback in list(_reset_callbacks):
            callback()


def on_reset(callback: Callable[[], None]) -> None:
    """Register a callback run by :func:`reset` (used by the registry's own memo)."""
    _reset_callbacks.append(callback)


def entry_points(kind: Optional[str] = None) -> List[EntryPointRecord]:
    """All entry point records (of one kind, if given), including disabled ones. Imports nothing."""
    global _records
    with _lock:
        if _records is None:
            _records = _md.scan()
        records = _records + tuple(module_scan.records())
    if kind is None:
        return list(records)
    wanted = kind_info(kind).kind
    return [r for r in records if r.kind == wanted]


def installed_names(kind: str) -> List[str]:
    """Sorted names of the enabled entry points of ``kind`` that are not known to be broken (their
    module is missing, or it failed to load in this process)."""
    return sorted({r.name for r in entry_points(kind)
                   if disabled_by(r) is None and r not in _failures and missing_module(r) is None})


def is_installed(kind: str, name: str) -> bool:
    """``normalize_name(name) in installed_names(kind)``, looking at the records of that name only
    (each other record would cost a search of the module path)."""
    wanted = normalize_name(name)
    return any(r.name == wanted and disabled_by(r) is None and r not in _failures and missing_module(r) is None
               for r in entry_points(kind))


def missing_module(record: EntryPointRecord) -> Optional[str]:
    """The top-level module of ``record``'s entry point if it cannot be found (a broken or half
    uninstalled distribution), else None. Looks on the module path; imports nothing."""
    if module_scan.is_scanned(record):
        return None
    top = record.value.partition(":")[0].strip().split(".")[0]
    if not top or top in sys.modules:
        return None
    try:
        found = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        found = None
    return None if found is not None else top


def _match(kind: str, name: str) -> List[EntryPointRecord]:
    records = entry_points(kind)
    declared = [r for r in records if not module_scan.is_scanned(r)]
    if any(loose_key(r.name) == loose_key(name) for r in declared):
        records = declared  # an entry point wins over an upstream-style module of the same name
    wanted = normalize_name(name)
    exact = [r for r in records if r.name == wanted]
    if exact:
        return exact
    loose = [r for r in records if loose_key(r.name) == loose_key(wanted)]
    if loose:
        return loose
    # An upstream-style module may register a name other than its suffix: import the scanned
    # modules of this kind (only now, as no entry point has the name) and look again.
    scanned = module_scan.registering_module(kind, name)
    if scanned is None:
        return []
    return [r for r in entry_points(kind) if module_scan.is_scanned(r) and r.value.endswith(":" + scanned.module)
            and loose_key(r.name) == loose_key(wanted)]


# --- loading -----------------------------------------------------------------------------------

class _ToilPluginManager(pluggy.PluginManager):
    """Accepts undecorated module-level functions named ``toil_*`` as hook implementations."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT_NAME)
        self.add_hookspecs(hookspecs)

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is not None or not name.startswith(hookspecs.HOOK_PREFIX):
            return opts
        func = inspect.getattr_static(plugin, name, None)
        if not inspect.isfunction(func):
            return None
        if inspect.ismodule(plugin) and getattr(func, "__module__", None) != plugin.__name__:
            return None  # imported helpers are not this plugin's hooks
        return {}


def _stevedore_load(group: str, selected: Sequence[Any]) -> Tuple[List[Any], List[BaseException]]:
    """Load exactly the ``selected`` entry points of ``group`` through stevedore.

    stevedore is imported here, not at module level, so listing plugins never pays for it.
    """
    # lazy: stevedore is slow to import; listing plugins never needs it
    from stevedore.named import NamedExtensionManager

    class _SelectedManager(NamedExtensionManager):
        def list_entry_points(self) -> List[Any]:  # our discovery pass, not stevedore's cache
            return list(selected)

    failures: List[BaseException] = []
    manager = _SelectedManager(
        group, names=[ep.name for ep in selected], invoke_on_load=False,
        on_load_failure_callback=lambda _mgr, _ep, err: failures.append(err),
        on_missing_entrypoints_callback=None,
    )
    return [ext.plugin for ext in manager.extensions], failures


def _load_plugin(record: EntryPointRecord, requested: str) -> Any:
    with _lock:
        if record in _loaded:
            return _loaded[record]
    plugins: List[Any]
    failures: List[BaseException]
    if module_scan.is_scanned(record):  # an upstream-style module: no entry point to give stevedore
        try:
            plugins, failures = [record.entry_point.load()], []
        except Exception as exc:
            plugins, failures = [], [exc]
    else:
        plugins, failures = _stevedore_load(record.group, [record.entry_point])
    if failures or not plugins:
        cause = failures[0] if failures else ImportError(f"entry point {record.value!r} did not load")
        _failures[record] = cause
        log.warning("Plugin %r (%s) failed to import: %s", record.raw_name, record.dist_label, cause)
        raise PluginImportError(record.kind, requested, record.distribution, record.version,
                                cause) from cause
    plugin = plugins[0]
    with _lock:
        _loaded[record] = plugin
    return plugin


def _misconfigured(record: EntryPointRecord, requested: str, reason: str) -> PluginMisconfiguredError:
    error = PluginMisconfiguredError(record.kind, requested, record.distribution, record.version, reason)
    _failures[record] = error
    log.warning("%s", error)
    return error


def _validated_manager(record: EntryPointRecord, plugin: Any, requested: str) -> _ToilPluginManager:
    pm = _ToilPluginManager()
    try:
        pm.register(plugin, name=f"{record.group}:{record.raw_name}")
        pm.check_pending()
    except (pluggy.PluginValidationError, ValueError) as exc:
        reason = f"entry point {record.raw_name!r} ({record.value}): {exc}"
        raise _misconfigured(record, requested, reason) from exc
    return pm


def _specs_of(info: KindInfo, record: EntryPointRecord, plugin: Any, requested: str) -> List[PluginSpec]:
    # Only the kinds with a registration hook (and spec class) reach here.
    assert info.hook is not None and info.spec_class is not None, info.kind
    spec_class = info.spec_class
    pm = _validated_manager(record, plugin, requested)
    try:
        results = getattr(pm.hook, info.hook)()
    except Exception as exc:
        raise _misconfigured(record, requested,
                             f"its {info.hook}() hook raised {type(exc).__name__}: {exc}") from exc
    specs: List[PluginSpec] = []
    for result in results:
        items = [result] if isinstance(result, PluginSpec) else list(result or ())
        for item in items:
            if not isinstance(item, spec_class):
                raise _misconfigured(record, requested, f"its {info.hook}() hook returned {item!r}, "
                                     f"not a {spec_class.__name__}")
            specs.append(cast(PluginSpec, item))
    return specs


def _register_shared(record: EntryPointRecord, plugin: Any) -> None:
    pm = plugin_manager(load_cross_cutting=False)
    if not pm.is_registered(plugin):
        pm.register(plugin, name=f"{record.group}:{record.raw_name}:{id(plugin)}")


def load_specs(kind: str, name: str) -> List[PluginSpec]:
    """Load the entry point(s) named ``name`` in ``kind``'s group and return every spec of that
    kind they yield. Raises the :mod:`~toil_core.plugins.errors` of the first problem."""
    info = kind_info(kind)
    specs: List[PluginSpec] = []
    for record in _usable_records(info, name):
        specs.extend(_specs_of(info, record, _load_plugin(record, name), name))
    return specs


def _usable_records(info: KindInfo, name: str) -> List[EntryPointRecord]:
    if info.hook is None:
        raise ValueError(f"{info.group} plugins implement fan-out hooks only and yield no specs")
    matches = _match(info.kind, name)
    enabled = [r for r in matches if disabled_by(r) is None]
    if not enabled:
        installed = installed_names(info.kind)
        if matches:
            raise PluginDisabledError(info.kind, name, installed, disabled_by(matches[0]) or "")
        raise PluginNotInstalledError(info.kind, name, installed)
    labels = sorted({r.dist_label for r in enabled})
    builtin = [r for r in enabled if _md.dist_key(r.distribution) == _md.dist_key(_md.CORE_DISTRIBUTION)]
    if len(labels) > 1 and builtin:  # a built-in name: toil-core's own backend wins
        # lazy: reserved.py registers a reset hook with this module when imported (mutual use)
        from .reserved import warn_clash_once

        warn_clash_once(info.kind, name, builtin[0], [r for r in enabled if r not in builtin])
        enabled, labels = builtin, [builtin[0].dist_label]
    if len(labels) > 1:
        claims = [f"{r.dist_label} ({r.raw_name} = {r.value})" for r in enabled]
        raise PluginConflictError(info.kind, name, claims)
    for record in enabled:
        requirement = incompatibility(record)
        if requirement:
            raise PluginIncompatibleError(info.kind, name, record.distribution or "?",
                                          record.version, requirement, _md.core_version())
    return enabled


def resolve(kind: str, name: str) -> ResolvedPlugin:
    """Find, check, load and validate the plugin providing ``name``; memoized per process."""
    info = kind_info(kind)
    key = (info.kind, normalize_name(name), os.environ.get(DISABLE_ENV, ""))
    with _lock:
        if key in _resolved:
            return _resolved[key]
        records = _usable_records(info, name)
        for record in records:
            plugin = _load_plugin(record, name)
            specs = _specs_of(info, record, plugin, name)
            spec = next((s for s in specs if s.matches(name)), None)
            spec = spec or next((s for s in specs if s.matches(record.name)), None)
            if spec is not None:
                _register_shared(record, plugin)
                _resolved[key] = ResolvedPlugin(spec=spec, record=record, plugin=plugin)
                return _resolved[key]
        record = records[0]
        yielded = ", ".join(s.name for s in specs) or "nothing"
        raise _misconfigured(record, name, f"entry point {record.raw_name!r} ({record.value}) yields "
                             f"no {info.label} spec named {normalize_name(name)!r} (it yields: {yielded})")


def resolved_plugins() -> List[ResolvedPlugin]:
    """The plugins resolved so far in this process."""
    with _lock:
        return list(_resolved.values())


def failure_of(record: EntryPointRecord) -> Optional[BaseException]:
    """The error recorded when ``record`` last failed to load in this process, if any."""
    return _failures.get(record)


def is_loaded(record: EntryPointRecord) -> bool:
    """True if ``record``'s plugin object was imported successfully in this process."""
    with _lock:
        return record in _loaded and record not in _failures


def note_failure(record: EntryPointRecord, error: BaseException) -> None:
    """Remember that ``record`` failed (e.g. its spec's class did not import), for listings."""
    with _lock:
        _failures[record] = error


# --- fan-out -----------------------------------------------------------------------------------

def plugin_manager(load_cross_cutting: bool = True) -> pluggy.PluginManager:
    """The process-wide pluggy manager: every plugin resolved so far, plus (by default) every
    enabled ``toil.plugins`` plugin. Use it to call the fan-out hooks."""
    global _manager
    with _lock:
        if _manager is None:
            _manager = _ToilPluginManager()
        manager = _manager
    if load_cross_cutting:
        load_cross_cutting_plugins()
    return manager


def load_cross_cutting_plugins() -> None:
    """Load each enabled ``toil.plugins`` entry point once. A broken one is skipped with a
    warning; the others keep working."""
    global _cross_cutting_loaded
    with _lock:
        if _cross_cutting_loaded:
            return
        _cross_cutting_loaded = True
        for record in entry_points("plugin"):
            if disabled_by(record) is not None:
                continue
            try:
                requirement = incompatibility(record)
                if requirement:
                    raise PluginIncompatibleError("plugin", record.name, record.distribution or "?",
                                                  record.version, requirement, _md.core_version())
                plugin = _load_plugin(record, record.name)
                _validated_manager(record, plugin, record.name)
                _register_shared(record, plugin)
            except (PluginIncompatibleError, PluginImportError, PluginMisconfiguredError) as exc:
                _failures.setdefault(record, exc)
                log.warning("Plugin %r skipped: %s", record.raw_name, exc)
