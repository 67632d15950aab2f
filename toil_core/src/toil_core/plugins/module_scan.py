"""Upstream Toil's plugin convention: top-level modules named ``toil_batch_system_*`` or
``toil_url_access_*`` that register themselves when imported.

Upstream Toil (6 and later) lists every importable top-level module with one of those prefixes,
imports it, and the module calls ``toil.lib.plugins.register_plugin(kind, name, factory)`` (or
``toil.batchSystems.registry.add_batch_system_factory(name, factory)``), where ``factory()``
imports and returns the backend class. Such plugins work here unchanged:

* :func:`scanned_modules` lists the modules (one directory listing per ``sys.path`` entry, once per
  process; nothing is imported). Each becomes an :class:`~toil_core.plugins.metadata.EntryPointRecord` of its kind
  with the origin ``module scan``, named after the module's suffix (``toil_batch_system_tes`` ->
  ``tes``) until it is imported, so ``toil plugins list`` shows it without importing it.
* A module is imported only when a plugin of its kind is asked for by a name no entry point has
  (or when ``toil plugins check`` or :func:`toil.lib.plugins.get_plugin_names` asks). What it
  registers becomes a spec whose ``load_object()`` calls the factory.
* Registrations made at run time by a workflow (``add_batch_system_factory`` in a script) are kept
  in the same registry under the origin ``runtime``.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import logging
import os
import sys
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

import attrs

from .metadata import EntryPointRecord
from .specs import BatchSystemSpec, PluginSpec, URLAccessSpec, kind_info, loose_key, normalize_name

__all__ = [
    "MODULE_SCAN",
    "PREFIXES",
    "Registration",
    "ScannedModule",
    "import_scanned",
    "records",
    "register",
    "registrations",
    "remove",
    "reset",
    "scanned_modules",
    "spec_for",
]

log = logging.getLogger(__name__)

#: The origin shown by ``toil plugins list`` for these plugins.
MODULE_SCAN = "module scan"
#: Module name prefix of each kind that upstream discovers by name.
PREFIXES: Dict[str, str] = {"batch_system": "toil_batch_system_", "url_access": "toil_url_access_"}
#: The value of :attr:`ScannedEntryPoint.group`-style records: what the record's ``value`` starts with.
_VALUE_PREFIX = "module:"


@attrs.frozen
class ScannedModule:
    """A top-level module whose name marks it as an upstream-style plugin of ``kind``."""

    kind: str
    module: str
    location: Optional[str]

    @property
    def guessed_name(self) -> str:
        """The plugin name before import: the module name without its prefix."""
        return normalize_name(self.module[len(PREFIXES[self.kind]):])


@attrs.frozen
class Registration:
    """One ``register_plugin`` call: ``factory()`` returns the backend class."""

    kind: str
    name: str
    factory: Callable[[], Any] = attrs.field(eq=False, repr=False)
    module: Optional[str]  #: the scanned module that registered it; None for run-time registrations


class _ModuleEntryPoint:
    """Stands in for an importlib entry point: loading it imports the scanned module and returns an
    object implementing the kind's registration hook from what the module registered."""

    def __init__(self, scanned: ScannedModule) -> None:
        self.scanned: ScannedModule = scanned
        self.name = scanned.guessed_name
        self.group = kind_info(scanned.kind).group
        self.value = scanned.module

    def load(self) -> Any:
        import_scanned(self.scanned)
        return _HookAdapter(self.scanned)


class _HookAdapter:
    """A plugin object whose registration hook yields the specs of one scanned module."""

    def __init__(self, scanned: ScannedModule) -> None:
        self._scanned = scanned

    def toil_batch_systems(self) -> List[PluginSpec]:
        return [spec_for(r) for r in registrations("batch_system") if r.module == self._scanned.module]

    def toil_url_access(self) -> List[PluginSpec]:
        return [spec_for(r) for r in registrations("url_access") if r.module == self._scanned.module]


@attrs.frozen(kw_only=True)
class ScannedBatchSystemSpec(BatchSystemSpec):
    """A batch system registered through upstream's ``register_plugin``; loading calls its factory."""

    factory: Callable[[], Any] = attrs.field(eq=False, repr=False)

    def load_object(self) -> Any:
        return self.factory()


@attrs.frozen(kw_only=True)
class ScannedURLAccessSpec(URLAccessSpec):
    """A URL scheme registered through upstream's ``register_plugin``; loading calls its factory."""

    factory: Callable[[], Any] = attrs.field(eq=False, repr=False)

    def load_object(self) -> Any:
        return self.factory()


_lock = threading.RLock()
_scanned: Optional[Tuple[ScannedModule, ...]] = None
_registry: Dict[str, Dict[str, Registration]] = {kind: {} for kind in PREFIXES}
_imported: Dict[str, Optional[BaseException]] = {}
_importing: List[str] = []


def reset() -> None:
    """Forget the scan and what scanned modules registered (run-time registrations stay)."""
    global _scanned
    with _lock:
        _scanned = None
        _imported.clear()
        _dists.clear()
        for table in _registry.values():
            for key in [k for k, r in table.items() if r.module is not None]:
                del table[key]


def scanned_modules(kind: Optional[str] = None) -> List[ScannedModule]:
    """The importable top-level modules named like upstream plugins (of ``kind``). Imports nothing."""
    global _scanned
    with _lock:
        if _scanned is None:
            found: Dict[str, ScannedModule] = {}
            for entry in sys.path:
                for name, location in _candidates(entry):
                    for plugin_kind, prefix in PREFIXES.items():
                        if name.startswith(prefix) and len(name) > len(prefix) and name not in found:
                            found[name] = ScannedModule(plugin_kind, name, location)
            _scanned = tuple(sorted(found.values(), key=lambda m: m.module))
        scanned = _scanned
    return [m for m in scanned if kind is None or m.kind == kind_info(kind).kind]


def _candidates(entry: str) -> List[Tuple[str, str]]:
    """Top-level module names in one ``sys.path`` directory that start like a plugin (``toil_``):
    packages, ``.py`` files and extension modules. One directory listing; nothing is imported.
    (Cheaper than :func:`pkgutil.iter_modules`, which looks at every module of every entry.)"""
    out: List[Tuple[str, str]] = []
    try:
        with os.scandir(entry or ".") as listing:
            for item in listing:
                name = item.name
                if not name.startswith("toil_"):
                    continue
                if item.is_dir():
                    if name.isidentifier() and os.path.exists(os.path.join(item.path, "__init__.py")):
                        out.append((name, entry))
                else:
                    module, dot, suffix = name.partition(".")
                    if dot and module.isidentifier() and (suffix == "py" or suffix.endswith(("so", "pyd"))):
                        out.append((module, entry))
    except OSError:  # missing directories, zip files: upstream's plugins are plain modules
        pass
    return out


def import_scanned(scanned: ScannedModule) -> None:
    """Import a scanned module once; what it registers is attributed to it. Import errors propagate
    (and are remembered, so a second call raises the same error)."""
    with _lock:
        if scanned.module in _imported:
            error = _imported[scanned.module]
            if error is not None:
                raise error
            return
        _importing.append(scanned.module)
        try:
            importlib.import_module(scanned.module)
        except BaseException as exc:
            _imported[scanned.module] = exc
            raise
        finally:
            _importing.pop()
        _imported[scanned.module] = None


def import_all(kind: str) -> None:
    """Import every scanned module of ``kind``; a broken one is logged and skipped."""
    for scanned in scanned_modules(kind):
        try:
            import_scanned(scanned)
        except Exception as exc:
            log.warning("Plugin module %s failed to import: %s", scanned.module, exc)


def register(kind: str, name: str, factory: Callable[[], Any]) -> Registration:
    """Record a registration (``register_plugin``). Made while a scanned module is being imported,
    it belongs to that module; otherwise it is a run-time registration."""
    info = kind_info(kind)
    if info.kind not in PREFIXES:
        raise ValueError(f"upstream-style plugins are batch systems or URL schemes, not {kind!r}")
    if not callable(factory):
        raise TypeError(f"the plugin factory for {name!r} must be callable (it returns the class)")
    with _lock:
        module = _importing[-1] if _importing else None
        registration = Registration(info.kind, str(name), factory, module)
        _registry[info.kind][str(name)] = registration
    return registration


def remove(kind: str, name: str) -> None:
    """Forget a registration (``remove_plugin``); unknown names are ignored."""
    with _lock:
        _registry[kind_info(kind).kind].pop(str(name), None)


def registrations(kind: str) -> List[Registration]:
    """What has been registered so far for ``kind`` (scanned modules already imported, run time)."""
    with _lock:
        return list(_registry[kind_info(kind).kind].values())


def find(kind: str, name: str) -> Optional[Registration]:
    """The registration for ``name`` (exact first, then case and separator blind), or None."""
    table = registrations(kind)
    for reg in table:
        if reg.name == name:
            return reg
    wanted = loose_key(name)
    return next((reg for reg in table if loose_key(reg.name) == wanted), None)


def spec_for(registration: Registration) -> PluginSpec:
    """A spec record for a registration; its ``load_object()`` calls the factory."""
    factory = registration.factory
    module = getattr(factory, "__module__", None) or "toil_core.plugins.module_scan"
    qualname = getattr(factory, "__qualname__", "") or ""
    load = f"{module}:{qualname}" if qualname.isidentifier() else f"{module}:factory"
    cls = ScannedBatchSystemSpec if registration.kind == "batch_system" else ScannedURLAccessSpec
    origin = f"module {registration.module}" if registration.module else "registered at run time"
    return cls(name=registration.name, load=load, factory=factory,
               summary=f"upstream-style plugin ({origin})")


_dists: Dict[str, Tuple[Optional[str], Optional[str], Any]] = {}


def distribution_of(module: str) -> Tuple[Optional[str], Optional[str], Any]:
    if module not in _dists:
        _dists[module] = _find_distribution(module)
    return _dists[module]


def _find_distribution(module: str) -> Tuple[Optional[str], Optional[str], Any]:
    try:
        names = importlib.metadata.packages_distributions().get(module) or []
    except Exception:
        names = []
    for name in names:
        try:
            dist = importlib.metadata.distribution(name)
            return (dist.metadata.get_all("Name") or [None])[0] or name, dist.version, dist
        except importlib.metadata.PackageNotFoundError:
            continue
    return None, None, None


def records() -> List[Any]:
    """An entry point record for every scanned module (origin ``module scan``), named by what the
    module registered if it has been imported, else by its suffix. Imports nothing. The distribution
    is left out (finding it reads every installed distribution): see :func:`distribution_of`."""
    out: List[Any] = []
    modules = scanned_modules()
    if not modules:
        return out
    for scanned in modules:
        names = [r.name for r in registrations(scanned.kind) if r.module == scanned.module]
        for name in names or [scanned.guessed_name]:
            entry_point = _ModuleEntryPoint(scanned)
            out.append(EntryPointRecord(
                kind=scanned.kind, group=kind_info(scanned.kind).group, name=normalize_name(name),
                raw_name=name, value=_VALUE_PREFIX + scanned.module, distribution=None,
                version=None, location=scanned.location, entry_point=entry_point, dist=None,
            ))
    return out


def is_scanned(record: Any) -> bool:
    """True for the records of :func:`records` (loaded without stevedore)."""
    return isinstance(getattr(record, "entry_point", None), _ModuleEntryPoint)


def registering_module(kind: str, name: str) -> Optional[ScannedModule]:
    """Import the scanned modules of ``kind`` (once) and return the one that registered ``name``."""
    if kind_info(kind).kind not in PREFIXES:
        return None
    reg = find(kind, name)
    if reg is None:
        import_all(kind)
        reg = find(kind, name)
    if reg is None or reg.module is None:
        return None
    return next((m for m in scanned_modules(kind) if m.module == reg.module), None)
