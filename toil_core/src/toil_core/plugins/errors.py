"""Every error the plugin machinery raises, in one tree.

::

    RuntimeError                  (upstream Toil raised RuntimeError for unknown backends)
    └── PluginError               base of everything below
        ├── PluginNotInstalledError   no installed distribution provides the name
        │   └── PluginDisabledError   it is installed but TOIL_DISABLE_PLUGINS switches it off
        ├── PluginImportError         installed, but importing it failed (cause kept)
        ├── PluginIncompatibleError   its distribution requires another toil-core version
        ├── PluginConflictError       several distributions claim the same name
        └── PluginMisconfiguredError  loads, but yields no spec of its name, a wrong value,
                                      or implements a hook this core does not know

Each message names the cause and the cure. A static table (:data:`PROVIDED_BY`) maps the
well-known backend names to the first-party distribution that provides them; the extra of the
install hint is looked up in toil-core's declared extras (:func:`declared_extras`), so a name
whose distribution no extra installs yet is reported as not available rather than given a
``pip install`` line that would fail. The table is used for these messages only, never for
discovery.
"""
from __future__ import annotations

import functools
import importlib.metadata
import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from toil_core.lib.errors import ToilError

from .specs import kind_info, loose_key, normalize_name

__all__ = [
    "PluginConflictError",
    "PluginDisabledError",
    "PluginError",
    "PluginImportError",
    "PluginIncompatibleError",
    "PluginMisconfiguredError",
    "PluginNotInstalledError",
    "PROVIDED_BY",
    "declared_extras",
    "install_hint",
    "provider",
]

_HPC = "toil-hpc"
_AWS = "toil-aws"
_GOOGLE = "toil-google"
_CWL = "toil-cwl"

#: (kind, normalized name) -> the first-party distribution that provides it. Which toil-core
#: extra installs that distribution is not written here: :func:`declared_extras` reads it from
#: toil-core's own metadata, so a hint never names an extra this release does not declare.
PROVIDED_BY: Dict[Tuple[str, str], str] = {
    ("batch_system", "slurm"): _HPC,
    ("batch_system", "grid_engine"): _HPC,
    ("batch_system", "gridengine"): _HPC,
    ("batch_system", "htcondor"): _HPC,
    ("batch_system", "torque"): _HPC,
    ("batch_system", "lsf"): _HPC,
    ("batch_system", "kubernetes"): "toil-k8s",
    ("batch_system", "mesos"): "toil-mesos",
    ("batch_system", "aws_batch"): _AWS,
    ("job_store", "aws"): _AWS,
    ("job_store", "google"): _GOOGLE,
    ("url_access", "s3"): _AWS,
    ("url_access", "gs"): _GOOGLE,
    ("provisioner", "aws"): _AWS,
    ("provisioner", "gce"): _GOOGLE,
    ("subcommand", "cwl"): _CWL,
    ("subcommand", "cwl_runner"): _CWL,
    ("subcommand", "wdl"): "toil-wdl",
    ("subcommand", "wdl_runner"): "toil-wdl",
}

_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def _canonical(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


@functools.lru_cache(maxsize=None)
def declared_extras() -> Dict[str, str]:
    """Distribution -> the toil-core extra that installs it, from toil-core's installed metadata
    (its ``Requires-Dist`` lines with an ``extra == ...`` marker). Only extras that pull in
    exactly one distribution count (``all`` and the like are not install hints)."""
    try:
        requirements = importlib.metadata.distribution("toil-core").requires or []
    except importlib.metadata.PackageNotFoundError:  # running from a source tree: no hints
        return {}
    by_extra: Dict[str, List[str]] = {}
    for requirement in requirements:
        name, marker = _REQUIREMENT_NAME.match(requirement), _EXTRA_MARKER.search(requirement)
        if name and marker:
            by_extra.setdefault(marker.group(1), []).append(_canonical(name.group(1)))
    found: Dict[str, str] = {}
    for extra, names in sorted(by_extra.items()):
        if len(names) == 1 and names[0] != "toil-core":
            found.setdefault(names[0], extra)
    return found


def provider(kind: str, name: str) -> Optional[str]:
    """The first-party distribution known to provide ``name`` for ``kind``, or None."""
    kind = kind_info(kind).kind
    key = normalize_name(name)
    if (kind, key) in PROVIDED_BY:
        return PROVIDED_BY[(kind, key)]
    for (k, known), distribution in PROVIDED_BY.items():
        if k == kind and loose_key(known) == loose_key(key):
            return distribution
    return None


def install_hint(kind: str, name: str) -> Optional[Tuple[str, str]]:
    """``(extra, distribution)`` for a well-known name whose distribution a declared toil-core
    extra installs, or None (unknown name, or no extra provides it in this release)."""
    distribution = provider(kind, name)
    extra = declared_extras().get(_canonical(distribution)) if distribution else None
    return (extra, distribution) if extra and distribution else None


def _installed_sentence(kind: str, installed: Sequence[str]) -> str:
    plural = kind_info(kind).plural
    return f"Installed {plural}: {', '.join(installed) if installed else 'none'}."


def _upstream_prefix(kind: str, name: str) -> str:
    # Keep the phrases upstream Toil printed, so scripts and users grepping for them still match.
    if kind == "batch_system":
        return f"Unrecognized batch system: {name!r}. "
    if kind == "job_store":
        return f"Unknown job store implementation {name!r}. "
    return ""


def _dist(distribution: Optional[str], version: Optional[str]) -> str:
    if not distribution:
        return "an unknown distribution"
    return f"{distribution} {version}" if version else distribution


class PluginError(ToilError, RuntimeError):
    """Base class of all plugin errors. ``kind`` and ``name`` say which plugin was asked for."""

    kind: str = ""
    name: str = ""

    def __init__(self, *args: Any) -> None:
        self._args = args
        super().__init__(self._message())

    def _message(self) -> str:  # pragma: no cover - overridden
        return " ".join(str(a) for a in self._args)

    def __reduce__(self) -> Any:
        return (type(self), self._args)

    @property
    def label(self) -> str:
        return kind_info(self.kind).label if self.kind else "plugin"


class PluginNotInstalledError(PluginError):
    """No installed distribution provides ``name`` for ``kind``.

    ``installed`` lists the names that are available; well-known names get the exact
    ``pip install`` line (:attr:`extra`, :attr:`distribution`).
    """

    def __init__(self, kind: str, name: str, installed: Iterable[str] = ()) -> None:
        self.kind = kind_info(kind).kind
        self.name = name
        self.installed = tuple(sorted(installed))
        hint = install_hint(self.kind, name)
        self.extra = hint[0] if hint else None
        #: The distribution known to provide the name (set even when no extra installs it).
        self.distribution = provider(self.kind, name)
        super().__init__(kind, name, self.installed)

    def _message(self) -> str:
        info = kind_info(self.kind)
        parts = [_upstream_prefix(self.kind, self.name)]
        if self.extra:
            parts.append(
                f"{info.title} {self.name!r} is not installed. Install it with: "
                f"pip install 'toil-core[{self.extra}]' (provides {self.distribution}). "
            )
        elif self.distribution:
            parts.append(
                f"{info.title} {self.name!r} is not available: it comes with {self.distribution}, "
                f"which this toil-core release does not provide yet (no toil-core extra installs "
                f"it). "
            )
        else:
            parts.append(f"No installed plugin provides {info.label} {self.name!r}. ")
            import difflib  # lazy: only for a misspelt name; every plugin lookup imports this module

            close = difflib.get_close_matches(normalize_name(self.name), self.installed, n=1)
            if close:
                parts.append(f"Did you mean {close[0]!r}? ")
        parts.append(_installed_sentence(self.kind, self.installed))
        return "".join(parts)


class PluginDisabledError(PluginNotInstalledError):
    """The plugin is installed but switched off by the ``TOIL_DISABLE_PLUGINS`` variable."""

    def __init__(self, kind: str, name: str, installed: Iterable[str] = (), token: str = "") -> None:
        self.token = token or name
        super().__init__(kind, name, installed)
        self._args = (kind, name, self.installed, token)

    def _message(self) -> str:
        info = kind_info(self.kind)
        return (
            f"{_upstream_prefix(self.kind, self.name)}{info.title} {self.name!r} is installed but "
            f"disabled by TOIL_DISABLE_PLUGINS (entry {self.token!r}); remove it from that variable "
            f"to use it. {_installed_sentence(self.kind, self.installed)}"
        )


class PluginImportError(PluginError):
    """The plugin is installed but importing it failed. The original exception is ``cause``
    (and ``__cause__``, as the error is raised ``from`` it)."""

    def __init__(
        self,
        kind: str,
        name: str,
        distribution: Optional[str],
        version: Optional[str],
        cause: BaseException,
    ) -> None:
        self.kind = kind_info(kind).kind
        self.name = name
        self.distribution = distribution
        self.version = version
        self.cause = cause
        super().__init__(kind, name, distribution, version, cause)
        self.__cause__ = cause

    def _message(self) -> str:
        info = kind_info(self.kind)
        return (
            f"{info.title} {self.name!r} is installed ({_dist(self.distribution, self.version)}) "
            f"but failed to import: {type(self.cause).__name__}: {self.cause}. "
            f"Run `toil plugins check {normalize_name(self.name)}` for details."
        )


class PluginIncompatibleError(PluginError):
    """The plugin's distribution declares a ``toil-core`` requirement the running core does not
    satisfy. Detected from metadata, before anything is imported."""

    def __init__(
        self,
        kind: str,
        name: str,
        distribution: str,
        version: Optional[str],
        requirement: str,
        core_version: str,
    ) -> None:
        self.kind = kind_info(kind).kind
        self.name = name
        self.distribution = distribution
        self.version = version
        self.requirement = requirement
        self.core_version = core_version
        super().__init__(kind, name, distribution, version, requirement, core_version)

    def _message(self) -> str:
        dist = _dist(self.distribution, self.version)
        return (
            f"{dist} requires {self.requirement} but toil-core {self.core_version} is installed, "
            f"so {kind_info(self.kind).label} {self.name!r} cannot be used. Install a "
            f"{self.distribution} release made for toil-core {self.core_version}, or the toil-core "
            f"version it asks for."
        )


class PluginConflictError(PluginError):
    """More than one installed distribution claims ``name``; ``distributions`` lists them all
    (as ``"name version"`` strings)."""

    def __init__(self, kind: str, name: str, distributions: Iterable[str]) -> None:
        self.kind = kind_info(kind).kind
        self.name = name
        self.distributions = tuple(distributions)
        super().__init__(kind, name, self.distributions)

    def _message(self) -> str:
        info = kind_info(self.kind)
        return (
            f"{info.title} {self.name!r} is provided by more than one installed distribution: "
            f"{', '.join(self.distributions)}. Uninstall all but one, or disable the others with "
            f"TOIL_DISABLE_PLUGINS=<distribution name>."
        )


class PluginMisconfiguredError(PluginError):
    """The plugin loaded but does not keep the plugin contract (no spec of its own name, a
    value that is not a spec, an unknown hook, a bad hook signature...). It is disabled."""

    def __init__(
        self,
        kind: str,
        name: str,
        distribution: Optional[str] = None,
        version: Optional[str] = None,
        reason: str = "",
    ) -> None:
        self.kind = kind_info(kind).kind
        self.name = name
        self.distribution = distribution
        self.version = version
        self.reason = reason
        super().__init__(kind, name, distribution, version, reason)

    def _message(self) -> str:
        info = kind_info(self.kind)
        return (
            f"{info.title} {self.name!r} from {_dist(self.distribution, self.version)} is "
            f"misconfigured and was disabled: {self.reason.rstrip('.')}. "
            f"Report this to the plugin's authors."
        )
