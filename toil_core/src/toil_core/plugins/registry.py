"""Public lookups the rest of the core uses to reach a backend by the word the user typed.

::

    get_batch_system_class("slurm")      # --batchSystem slurm; upstream spellings work too
    get_job_store_class("file")          # the scheme of a job store locator
    get_url_access("https")              # the scheme of a URL to import or export
    list_plugins()                       # what `toil plugins list` prints; imports nothing

Lookups are memoized per process (cleared by :func:`toil_core.plugins.discovery.reset`).
Failures raise the errors of :mod:`toil_core.plugins.errors`.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

import attrs

from . import discovery, module_scan
from . import metadata as _md
from .errors import PluginError, PluginImportError, PluginMisconfiguredError
from .reserved import reserved_clash_message
from .specs import KINDS, PluginSpec, kind_info, normalize_name

if TYPE_CHECKING:
    from toil_core.common.config import Config

__all__ = [
    "PluginInfo",
    "check_plugins",
    "configure_plugins",
    "error_hints",
    "get_batch_system_class",
    "get_job_store_class",
    "get_provisioner_class",
    "get_spec",
    "get_subcommand",
    "get_url_access",
    "installed_names",
    "leader_finished",
    "leader_started",
    "list_plugins",
    "load_plugin_object",
    "normalize_name",
    "plugin_environment",
]

log = logging.getLogger(__name__)

_lock = threading.RLock()
_objects: Dict[Tuple[str, str, str], Any] = {}
discovery.on_reset(_objects.clear)

#: Order of kinds in listings.
_KIND_ORDER = {kind: i for i, kind in enumerate(KINDS)}


@attrs.frozen
class PluginInfo:
    """One row of ``toil plugins list``.

    ``status`` is one of: ``installed`` (found, not loaded in this process), ``loaded``,
    ``ok`` (loaded and its class imported, after a check), ``disabled``, ``incompatible``,
    ``conflict``, ``broken`` (import failed) or ``misconfigured``; ``error`` says why.
    """

    name: str
    kind: str
    distribution: Optional[str]
    version: Optional[str]
    status: str
    summary: str
    group: str = ""
    value: str = ""
    location: Optional[str] = None
    error: Optional[str] = None
    #: ``entry point`` (declared in a distribution's metadata) or ``module scan`` (an upstream-style
    #: ``toil_batch_system_*`` / ``toil_url_access_*`` module).
    origin: str = "entry point"
    #: The traceback of the failure behind ``error`` (broken and misconfigured plugins), if known.
    traceback: Optional[str] = None


def installed_names(kind: str) -> List[str]:
    """Sorted names of the enabled plugins of ``kind`` (no imports)."""
    return discovery.installed_names(kind)


def get_spec(kind: str, name: str) -> PluginSpec:
    """The spec registered for ``name`` (imports the plugin module, not the backend class)."""
    return discovery.resolve(kind, name).spec


def load_plugin_object(kind: str, name: str) -> Any:
    """Resolve ``name`` in ``kind`` and import the object its spec's ``load`` string names."""
    info = kind_info(kind)
    key = (info.kind, normalize_name(name), os.environ.get(discovery.DISABLE_ENV, ""))
    with _lock:
        if key in _objects:
            return _objects[key]
        resolved = discovery.resolve(info.kind, name)
        try:
            obj = resolved.spec.load_object()
        except Exception as exc:
            record = resolved.record
            error = PluginImportError(info.kind, name, record.distribution, record.version, exc)
            discovery.note_failure(record, error)
            raise error from exc
        _objects[key] = obj
        return obj


def get_batch_system_class(name: str) -> type:
    """The batch system class for ``--batchSystem NAME`` (``single_machine``, ``singleMachine``,
    ``slurm``, ``gridEngine``...)."""
    return load_plugin_object("batch_system", name)


def get_job_store_class(scheme: str) -> type:
    """The job store class for a locator scheme (``file``, ``aws``, ``google``)."""
    return load_plugin_object("job_store", _scheme(scheme))


def get_url_access(scheme: str) -> Any:
    """The URL access class for a URL scheme (``file``, ``http``, ``https``, ``s3``, ``gs``...)."""
    return load_plugin_object("url_access", _scheme(scheme))


def get_provisioner_class(name: str) -> type:
    """The provisioner class for ``--provisioner NAME``."""
    return load_plugin_object("provisioner", name)


def get_subcommand(name: str) -> Any:
    """The object implementing the extra ``toil NAME`` subcommand."""
    return load_plugin_object("subcommand", name)


def _scheme(scheme: str) -> str:
    scheme = scheme.strip()
    for suffix in ("://", ":"):
        if scheme.endswith(suffix):
            scheme = scheme[: -len(suffix)]
    return scheme


# --- listing -------------------------------------------------------------------------------------

def _summary_for(record: discovery.EntryPointRecord) -> Tuple[str, str]:
    for resolved in discovery.resolved_plugins():
        if resolved.record == record:
            return "loaded", resolved.spec.summary
    return ("loaded" if discovery.is_loaded(record) else "installed"), record.summary()


def _status_of(record: discovery.EntryPointRecord, records: List[Any]) -> PluginInfo:
    token = discovery.disabled_by(record)
    requirement = discovery.incompatibility(record)
    status, summary = _summary_for(record)
    error: Optional[str] = None
    trace: Optional[str] = None
    if token:
        status, error = "disabled", f"disabled by {discovery.DISABLE_ENV} ({token})"
    elif requirement:
        status = "incompatible"
        error = f"{record.dist_label} requires {requirement} but toil-core {_md.core_version()} is installed"
    elif _md.dist_key(record.distribution) != _md.dist_key(_md.CORE_DISTRIBUTION) and any(
            r.kind == record.kind and r.name == record.name and discovery.disabled_by(r) is None
            and _md.dist_key(r.distribution) == _md.dist_key(_md.CORE_DISTRIBUTION) for r in records):
        builtin = next(r for r in records if r.kind == record.kind and r.name == record.name
                       and _md.dist_key(r.distribution) == _md.dist_key(_md.CORE_DISTRIBUTION))
        status, error = "conflict", reserved_clash_message(record.kind, record.name, builtin, [record])
    elif _md.dist_key(record.distribution) != _md.dist_key(_md.CORE_DISTRIBUTION) and any(
            r.kind == record.kind and r.name == record.name and r.dist_label != record.dist_label
            and discovery.disabled_by(r) is None for r in records):
        status, error = "conflict", "another installed distribution claims this name"
    else:
        failure = discovery.failure_of(record)
        missing = discovery.missing_module(record) if failure is None else None
        if missing is not None:
            status = "broken"
            error = (f"its module {missing!r} ({record.value}) is not installed: reinstall "
                     f"{record.distribution or 'the distribution'} (pip install --force-reinstall "
                     f"{record.distribution or '...'})")
        elif failure is not None:
            status = "misconfigured" if isinstance(failure, PluginMisconfiguredError) else "broken"
            error = str(failure)
            trace = _trace_of(failure)
    distribution, version = record.distribution, record.version
    if module_scan.is_scanned(record):
        distribution, version, _dist = module_scan.distribution_of(record.entry_point.scanned.module)
    return PluginInfo(
        name=record.name, kind=record.kind, distribution=distribution, version=version,
        status=status, summary=summary, group=record.group, value=record.value,
        location=record.location, error=error,
        origin=module_scan.MODULE_SCAN if module_scan.is_scanned(record) else "entry point", traceback=trace,
    )


def _trace_of(failure: BaseException) -> Optional[str]:
    """The traceback of what really went wrong: the original exception a plugin error wraps."""
    cause = failure.__cause__ or getattr(failure, "cause", None) or failure
    if cause.__traceback__ is None:
        return None
    return "".join(traceback.format_exception(type(cause), cause, cause.__traceback__)).rstrip()


def list_plugins(kind: Optional[str] = None) -> List[PluginInfo]:
    """Every installed plugin (of ``kind``, if given), sorted by kind then name. Reads metadata
    only: nothing is imported."""
    records = discovery.entry_points(kind)
    infos = [_status_of(r, records) for r in records]
    return sorted(infos, key=lambda i: (_KIND_ORDER.get(i.kind, 99), i.name, i.distribution or ""))


def check_plugins(name: Optional[str] = None, kind: Optional[str] = None) -> List[PluginInfo]:
    """What ``toil plugins check [NAME]`` reports: load each matching plugin and the object its
    spec names, and report ``ok`` or what went wrong. Broken plugins never raise here."""
    wanted = normalize_name(name) if name else None
    for info in list_plugins(kind):
        if wanted is not None and info.name != wanted:
            continue
        if info.status in ("disabled", "incompatible", "conflict"):
            continue
        try:
            if info.kind == "plugin":
                discovery.load_cross_cutting_plugins()
            else:
                load_plugin_object(info.kind, info.name)
        except PluginError as exc:
            log.debug("check of %s %r failed: %s", info.kind, info.name, exc)
    results = list_plugins(kind)
    checked = [i for i in results if wanted is None or i.name == wanted]
    return [attrs.evolve(i, status="ok") if i.status == "loaded" else i for i in checked]


def plugin_environment() -> Dict[str, Any]:
    """The interpreter and the places plugins were found, for ``toil plugins list`` (helps when
    a plugin is installed in another environment)."""
    locations = sorted({r.location for r in discovery.entry_points() if r.location})
    return {"python": sys.executable, "prefix": sys.prefix, "locations": locations}


# --- fan-out hooks -------------------------------------------------------------------------------

def _call_each(hook_name: str, swallow: bool, **kwargs: Any) -> List[Any]:
    pm = discovery.plugin_manager()
    results: List[Any] = []
    for impl in reversed(getattr(pm.hook, hook_name).get_hookimpls()):
        if getattr(impl, "hookwrapper", False) or getattr(impl, "wrapper", False):
            continue
        try:
            result = impl.function(*[kwargs[arg] for arg in impl.argnames])
        except PluginError:
            raise
        except Exception as exc:
            if not swallow:
                raise
            log.warning("Plugin %s: %s() failed: %s", impl.plugin_name, hook_name, exc)
            continue
        if result is not None:
            results.append(result)
    return results


def configure_plugins(config: Any) -> None:
    """Run every loaded plugin's ``toil_configure(config)``; their errors propagate."""
    _call_each("toil_configure", swallow=False, config=config)


def error_hints(error: BaseException) -> List[str]:
    """Extra remediation lines for ``error`` from every loaded plugin. Never raises."""
    hints: List[str] = []
    try:
        for result in _call_each("toil_error_hints", swallow=True, error=error):
            for line in [result] if isinstance(result, str) else result:
                if str(line) not in hints:
                    hints.append(str(line))
    except Exception as exc:  # a hint must never hide the original error
        log.warning("Collecting error hints failed: %s", exc)
    return hints


def leader_started(config: Any) -> None:
    """Tell every loaded plugin the leader started; a failing plugin is logged, not fatal."""
    _call_each("toil_leader_started", swallow=True, config=config)


def leader_finished(config: Any, success: bool) -> None:
    """Tell every loaded plugin the leader stopped; a failing plugin is logged, not fatal."""
    _call_each("toil_leader_finished", swallow=True, config=config, success=success)


def clean_workflow(config: Config) -> None:
    """Before ``toil clean`` deletes a workflow's job store: load the plugin of the workflow's
    batch system, then let every loaded plugin remove what the workflow left running (a killed
    leader's pods, for example). A failing plugin is logged, not fatal."""
    name = config.batchSystem
    if name:
        try:
            get_spec("batch_system", str(name))
        except Exception as exc:  # not installed here: nothing of it to clean from this machine
            log.debug("Batch system %r of the workflow not loadable for clean-up: %s", name, exc)
    _call_each("toil_clean_workflow", swallow=True, config=config)

