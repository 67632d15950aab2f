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

Each message names the cause and the cure. A static table (:data:`WELL_KNOWN`) maps the
well-known backend names to the extra and distribution that provide them; it is used for the
install hint only, never for discovery.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Sequence, Tuple

from .specs import kind_info, loose_key, normalize_name

__all__ = [
    "PluginConflictError",
    "PluginDisabledError",
    "PluginError",
    "PluginImportError",
    "PluginIncompatibleError",
    "PluginMisconfiguredError",
    "PluginNotInstalledError",
    "WELL_KNOWN",
    "install_hint",
]

_HPC = ("hpc", "toil-hpc")
_AWS = ("aws", "toil-aws")
_GOOGLE = ("google", "toil-google")
_CWL = ("cwl", "toil-cwl")

#: (kind, normalized name) -> (extra of toil-core, distribution providing it).
WELL_KNOWN: Dict[Tuple[str, str], Tuple[str, str]] = {
    ("batch_system", "slurm"): _HPC,
    ("batch_system", "grid_engine"): _HPC,
    ("batch_system", "gridengine"): _HPC,
    ("batch_system", "htcondor"): _HPC,
    ("batch_system", "torque"): _HPC,
    ("batch_system", "lsf"): _HPC,
    ("batch_system", "kubernetes"): ("kubernetes", "toil-k8s"),
    ("batch_system", "mesos"): ("mesos", "toil-mesos"),
    ("batch_system", "aws_batch"): _AWS,
    ("job_store", "aws"): _AWS,
    ("job_store", "google"): _GOOGLE,
    ("url_access", "s3"): _AWS,
    ("url_access", "gs"): _GOOGLE,
    ("provisioner", "aws"): _AWS,
    ("provisioner", "gce"): _GOOGLE,
    ("subcommand", "cwl"): _CWL,
    ("subcommand", "cwl_runner"): _CWL,
}


def install_hint(kind: str, name: str) -> Optional[Tuple[str, str]]:
    """Return ``(extra, distribution)`` for a well-known name, or None."""
    kind = kind_info(kind).kind
    key = normalize_name(name)
    if (kind, key) in WELL_KNOWN:
        return WELL_KNOWN[(kind, key)]
    for (k, known), hint in WELL_KNOWN.items():
        if k == kind and loose_key(known) == loose_key(key):
            return hint
    return None


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


class PluginError(RuntimeError):
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
        self.extra, self.distribution = hint if hint else (None, None)
        super().__init__(kind, name, self.installed)

    def _message(self) -> str:
        info = kind_info(self.kind)
        parts = [_upstream_prefix(self.kind, self.name)]
        if self.extra:
            parts.append(
                f"{info.title} {self.name!r} is not installed. Install it with: "
                f"pip install 'toil-core[{self.extra}]' (provides {self.distribution}). "
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
