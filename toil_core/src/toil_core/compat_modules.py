"""Upstream module paths that backend distributions provide (``toil.batchSystems.kubernetes``, ...).

Upstream Toil ships every backend inside the ``toil`` package, so existing workflow code imports
paths such as ``toil.jobStores.aws.jobStore`` or ``toil.batchSystems.slurm``. Here each backend is
its own distribution, and it says which upstream paths it provides through the entry point group
``toil.compat_modules``: the entry point's *name* is the upstream module path, its *value* the
backend module that provides it::

    [project.entry-points."toil.compat_modules"]
    "toil.batchSystems.slurm" = "toil_hpc.slurm"

:class:`CompatModuleFinder` sits at the end of :data:`sys.meta_path` (installed when this module is
imported, which ``import toil`` does). It is asked only about ``toil.*`` names that no file of the
facade provides, and then:

* a registered path imports the backend module and makes it importable under the upstream name as
  well (the same module object, so classes, ``isinstance`` checks and monkeypatching agree);
* a path that is only the parent of registered paths (``toil.jobStores.aws`` when only
  ``toil.jobStores.aws.jobStore`` is registered) becomes an empty package;
* an unregistered path of an upstream backend raises :class:`ModuleNotFoundError` naming the
  toil-core extra that installs it (an extra declared by toil-core's metadata; a family with no
  such extra yet gets a message saying that none provides it).

The core holds no module mapping: it knows only which upstream path prefixes belong to which
backend family (:data:`UPSTREAM_FAMILIES`, facts about upstream's extras), for the error message.
Distributions switched off by ``TOIL_DISABLE_PLUGINS`` (by distribution name) register nothing.
"""
from __future__ import annotations

import importlib
import importlib.machinery
import re
import sys
import threading
import types
from typing import Any, Dict, Optional, Sequence, Tuple

__all__ = [
    "ENTRY_POINT_GROUP",
    "UPSTREAM_FAMILIES",
    "CompatModuleFinder",
    "install",
    "missing_backend_message",
    "registered_modules",
    "reset",
]

#: The entry point group backend distributions register upstream module paths in.
ENTRY_POINT_GROUP = "toil.compat_modules"

#: Upstream module path prefixes -> the extras (in order of preference) that may install them.
#: Facts about upstream Toil's layout; used only to word the error when nothing registers a path.
UPSTREAM_FAMILIES: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("toil.batchSystems.kubernetes", ("kubernetes", "k8s")),
    ("toil.batchSystems.mesos", ("mesos",)),
    ("toil.batchSystems.awsBatch", ("aws",)),
    ("toil.batchSystems.slurm", ("hpc",)),
    ("toil.batchSystems.lsf", ("hpc",)),
    ("toil.batchSystems.lsfHelper", ("hpc",)),
    ("toil.batchSystems.gridengine", ("hpc",)),
    ("toil.batchSystems.torque", ("hpc",)),
    ("toil.batchSystems.htcondor", ("hpc", "htcondor")),
    ("toil.batchSystems.abstractGridEngineBatchSystem", ("hpc",)),
    ("toil.jobStores.aws", ("aws",)),
    ("toil.jobStores.googleJobStore", ("google",)),
    ("toil.provisioners.aws", ("aws",)),
    ("toil.provisioners.gceProvisioner", ("google",)),
    ("toil.lib.aws", ("aws",)),
    ("toil.lib.ec2", ("aws",)),
    ("toil.lib.ec2nodes", ("aws",)),
    ("toil.lib.encryption", ("encryption", "aws")),
    ("toil.cwl", ("cwl",)),
    ("toil.wdl", ("wdl",)),
    ("toil.server", ("server",)),
)

_CORE_DISTRIBUTION = "toil-core"
_lock = threading.Lock()
_registry: Optional[Dict[str, Tuple[str, str]]] = None  # upstream path -> (backend module, distribution)


def _dist_key(name: Optional[str]) -> str:
    return re.sub(r"[-_.]+", "_", (name or "").strip().lower())


def _disabled_distributions() -> Sequence[str]:
    # lazy: toil_core.plugins pulls in pluggy, and ``import toil`` must stay cheap
    from toil_core.plugins.metadata import disable_tokens

    return [_dist_key(token) for token in disable_tokens() if ":" not in token]


def registered_modules() -> Dict[str, Tuple[str, str]]:
    """Every registered upstream path -> (backend module, distribution name), read once from metadata.

    When two distributions register the same path, the first one found on ``sys.path`` wins, as
    :mod:`importlib.metadata` orders them.
    """
    global _registry
    with _lock:
        if _registry is None:
            import importlib.metadata  # lazy: read only when a toil.* path has no file of its own

            disabled = set(_disabled_distributions())
            found: Dict[str, Tuple[str, str]] = {}
            for dist in importlib.metadata.distributions():
                try:
                    entry_points = [ep for ep in dist.entry_points if ep.group == ENTRY_POINT_GROUP]
                    name = (dist.metadata.get_all("Name") or [None])[0] or ""
                except Exception:  # unreadable metadata of an unrelated distribution
                    continue
                if not entry_points or _dist_key(name) in disabled:
                    continue
                for ep in entry_points:
                    found.setdefault(ep.name.strip(), (ep.value.strip(), name))
            _registry = found
        return _registry


def reset() -> None:
    """Forget the registrations read so far (tests that install distributions call it)."""
    global _registry
    with _lock:
        _registry = None


def _core_extras() -> Sequence[str]:
    import importlib.metadata  # lazy: see registered_modules

    try:
        return importlib.metadata.metadata(_CORE_DISTRIBUTION).get_all("Provides-Extra") or []
    except importlib.metadata.PackageNotFoundError:
        return []


def _family_of(fullname: str) -> Optional[Tuple[str, Tuple[str, ...]]]:
    for prefix, extras in UPSTREAM_FAMILIES:
        if fullname == prefix or fullname.startswith(prefix + "."):
            return prefix, extras
    return None


def missing_backend_message(fullname: str) -> Optional[str]:
    """The message for an upstream backend path that no installed distribution provides, or
    None when ``fullname`` belongs to no known backend family."""
    family = _family_of(fullname)
    if family is None:
        return None
    prefix, extras = family
    available = [extra for extra in extras if extra in _core_extras()]
    if available:
        return (f"No module named '{fullname}': it is part of a backend that is not installed. "
                f"Install it with: pip install 'toil-core[{available[0]}]'")
    return (f"No module named '{fullname}': upstream Toil ships it with its '{extras[0]}' backend, "
            f"and no installed distribution provides it (toil-core has no '{extras[0]}' extra yet).")


class _AliasLoader:  # a loader by protocol: importlib.abc costs ~60 ms to import
    """Makes a backend module importable under its upstream path."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._own_spec: Optional[importlib.machinery.ModuleSpec] = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(self.target)
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """The backend module ran when it was imported; only give it back its own ``__spec__``,
        which the import system replaced with the upstream path's."""
        module.__spec__ = self._own_spec


class _ParentPackageLoader:  # a loader by protocol (see _AliasLoader)
    """An empty package standing for an upstream package whose submodules are registered."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Optional[types.ModuleType]:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        module.__doc__ = (f"Upstream package path {module.__name__}: its registered submodules come "
                          "from backend distributions (see toil_core.compat_modules).")


class CompatModuleFinder:  # a meta path finder by protocol (see _AliasLoader)
    """Finds ``toil.*`` modules that backend distributions register (see the module docstring)."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None,
                  target: Optional[types.ModuleType] = None) -> Optional[importlib.machinery.ModuleSpec]:
        if not fullname.startswith("toil."):
            return None
        registry = registered_modules()
        entry = registry.get(fullname)
        if entry is not None:
            loader: Any = _AliasLoader(entry[0])  # a Loader by protocol, not by class
            return importlib.machinery.ModuleSpec(fullname, loader, origin=entry[0])
        if any(name.startswith(fullname + ".") for name in registry):
            parent: Any = _ParentPackageLoader()  # a Loader by protocol, not by class
            return importlib.machinery.ModuleSpec(fullname, parent, is_package=True)
        message = missing_backend_message(fullname)
        if message is not None:
            raise ModuleNotFoundError(message, name=fullname)
        return None


def install() -> CompatModuleFinder:
    """Append the finder to :data:`sys.meta_path` once (after the finders of real files)."""
    for finder in sys.meta_path:
        if isinstance(finder, CompatModuleFinder):
            return finder
    finder = CompatModuleFinder()
    sys.meta_path.append(finder)
    return finder


install()
