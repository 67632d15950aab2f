"""Spec records: what a plugin's registration hook returns.

A spec is a frozen attrs record describing one backend without importing it: the normalized
name the user types, alternative spellings, a lazy ``"package.module:Attr"`` load string, an
optional attrs settings class, a set of capability words and a one-line summary.

The kinds of plugin, their entry point groups and their registration hooks are listed once here
in :data:`KINDS`; every other module in :mod:`toil_core.plugins` reads them from this table.

This module imports nothing beyond the standard library and attrs.
"""
from __future__ import annotations

import importlib
import re
from typing import Any, ClassVar, Dict, FrozenSet, Iterable, Optional, Tuple

import attrs

__all__ = [
    "BatchSystemSpec",
    "JobStoreSpec",
    "KINDS",
    "KindInfo",
    "PluginSpec",
    "ProvisionerSpec",
    "SubcommandSpec",
    "URLAccessSpec",
    "kind_info",
    "loose_key",
    "normalize_name",
]


def normalize_name(name: str) -> str:
    """Return the canonical form of a plugin name: stripped, lowercase, ``-`` turned into ``_``.

    >>> normalize_name("single-machine")
    'single_machine'
    >>> normalize_name("gridEngine")
    'gridengine'
    """
    if not isinstance(name, str):
        raise TypeError(f"plugin name must be a string, not {type(name).__name__}")
    return name.strip().lower().replace("-", "_")


def loose_key(name: str) -> str:
    """A separator-blind key, so upstream spellings such as ``singleMachine`` and ``gridEngine``
    find the entry points ``single_machine`` and ``grid_engine``."""
    return normalize_name(name).replace("_", "")


_LOAD_RE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


def _check_load(instance: Any, attribute: Any, value: str) -> None:
    if not isinstance(value, str) or not _LOAD_RE.match(value):
        raise ValueError(
            f"{type(instance).__name__}.load must look like 'package.module:Attribute', got {value!r}"
        )


def _check_name(instance: Any, attribute: Any, value: str) -> None:
    if not value or not re.match(r"^[a-z0-9][a-z0-9_.+]*$", value):
        raise ValueError(f"{type(instance).__name__}.name {value!r} is not a valid plugin name")


def _check_settings(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and not (isinstance(value, type) and attrs.has(value)):
        raise TypeError(
            f"{type(instance).__name__}.settings must be an attrs class or None, got {value!r}"
        )


def _to_aliases(value: Iterable[str]) -> Tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    return tuple(str(v) for v in value)


def _to_capabilities(value: Iterable[str]) -> FrozenSet[str]:
    if isinstance(value, str):
        value = (value,)
    return frozenset(str(v) for v in value)


@attrs.frozen(kw_only=True)
class PluginSpec:
    """Common fields of every spec record. Use one of the concrete subclasses.

    :ivar name: the word the user types, normalized (lowercase, ``-`` becomes ``_``).
    :ivar load: ``"package.module:Attribute"``; imported only by :meth:`load_object`.
    :ivar aliases: other accepted spellings (upstream names such as ``gridEngine``).
    :ivar settings: an attrs class holding the backend's options, or None.
    :ivar capabilities: capability words such as ``"walltime"`` or ``"import"``.
    :ivar summary: one line for ``toil plugins list``.
    """

    kind: ClassVar[str] = ""

    # The subclasses below only set ``kind``: they are plain subclasses (with no slots of their
    # own) that inherit the methods attrs generates here. Decorating each again would generate
    # and compile those methods five more times in every process that reads plugin metadata.

    name: str = attrs.field(converter=normalize_name, validator=_check_name)
    load: str = attrs.field(validator=_check_load)
    aliases: Tuple[str, ...] = attrs.field(default=(), converter=_to_aliases)
    settings: Optional[type] = attrs.field(default=None, validator=_check_settings)
    capabilities: FrozenSet[str] = attrs.field(default=frozenset(), converter=_to_capabilities)
    summary: str = attrs.field(default="", converter=str)

    @property
    def module_name(self) -> str:
        return self.load.partition(":")[0]

    @property
    def attribute_path(self) -> str:
        return self.load.partition(":")[2]

    def names(self) -> Tuple[str, ...]:
        """The normalized name followed by the normalized aliases."""
        seen = [self.name]
        for alias in self.aliases:
            n = normalize_name(alias)
            if n not in seen:
                seen.append(n)
        return tuple(seen)

    def matches(self, name: str, loose: bool = True) -> bool:
        """True if ``name`` is this spec's name or one of its aliases (case and separators
        ignored when ``loose``)."""
        wanted = normalize_name(name)
        if wanted in self.names():
            return True
        return loose and loose_key(wanted) in {loose_key(n) for n in self.names()}

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    def load_object(self) -> Any:
        """Import the module named by :attr:`load` and return the attribute.

        Import errors propagate unchanged; :mod:`toil_core.plugins.registry` wraps them in
        :class:`~toil_core.plugins.errors.PluginImportError`.
        """
        obj: Any = importlib.import_module(self.module_name)
        for part in self.attribute_path.split("."):
            obj = getattr(obj, part)
        return obj


class BatchSystemSpec(PluginSpec):
    """A batch system (``--batchSystem NAME``); ``load`` names an AbstractBatchSystem subclass."""

    __slots__ = ()
    kind: ClassVar[str] = "batch_system"


class JobStoreSpec(PluginSpec):
    """A job store, named by its locator scheme (``file``, ``aws``, ``google``)."""

    __slots__ = ()
    kind: ClassVar[str] = "job_store"


class URLAccessSpec(PluginSpec):
    """Import/export of URLs of one scheme (``file``, ``http``, ``s3``...). Capabilities
    ``import`` and ``export`` say which directions are supported."""

    __slots__ = ()
    kind: ClassVar[str] = "url_access"


class ProvisionerSpec(PluginSpec):
    """A cluster provisioner (``--provisioner aws``)."""

    __slots__ = ()
    kind: ClassVar[str] = "provisioner"


class SubcommandSpec(PluginSpec):
    """An extra ``toil`` subcommand; ``load`` names the callable or command class."""

    __slots__ = ()
    kind: ClassVar[str] = "subcommand"


@attrs.frozen
class KindInfo:
    """One kind of plugin: its entry point group, registration hook, spec class and wording."""

    kind: str
    group: str
    hook: Optional[str]
    spec_class: Optional[type]
    label: str
    plural: str

    @property
    def title(self) -> str:
        return self.label[:1].upper() + self.label[1:]


KINDS: Dict[str, KindInfo] = {
    info.kind: info
    for info in (
        KindInfo("batch_system", "toil.batch_systems", "toil_batch_systems", BatchSystemSpec,
                 "batch system", "batch systems"),
        KindInfo("job_store", "toil.job_stores", "toil_job_stores", JobStoreSpec,
                 "job store", "job stores"),
        KindInfo("provisioner", "toil.provisioners", "toil_provisioners", ProvisionerSpec,
                 "provisioner", "provisioners"),
        KindInfo("url_access", "toil.url_access", "toil_url_access", URLAccessSpec,
                 "URL scheme", "URL schemes"),
        KindInfo("subcommand", "toil.commands", "toil_subcommands", SubcommandSpec,
                 "command", "commands"),
        # Cross-cutting plugins implement only fan-out hooks and yield no spec.
        KindInfo("plugin", "toil.plugins", None, None, "plugin", "plugins"),
    )
}

_KIND_ALIASES = {
    "batch_systems": "batch_system", "batchsystem": "batch_system",
    "job_stores": "job_store", "jobstore": "job_store",
    "provisioners": "provisioner", "url": "url_access", "urls": "url_access",
    "subcommands": "subcommand", "command": "subcommand", "commands": "subcommand",
    "plugins": "plugin",
}


def kind_info(kind: str) -> KindInfo:
    """Look a kind up by its name (``batch_system``), a plural, or its entry point group."""
    key = normalize_name(kind)
    key = _KIND_ALIASES.get(key, key)
    if key in KINDS:
        return KINDS[key]
    for info in KINDS.values():
        if info.group == kind:
            return info
    raise ValueError(f"unknown plugin kind {kind!r}; expected one of {', '.join(KINDS)}")
