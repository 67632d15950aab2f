"""The batch-system options as upstream's ``toil.batchSystems.options`` offers them.

The options themselves are the "batch system" rows of the option table
(:mod:`toil_core.common.options_groups`): the options every batch system shares, and those of the
batch systems that live in plugins (``backend`` rows, which belong to one batch system each).
:func:`add_all_batchsystem_options` adds them to a parser or argument group;
:func:`set_batchsystem_options` hands them to an upstream-style ``setOption`` callback, which is
how upstream's Config learns which options to copy; :func:`set_batchsystem_config_defaults` gives
a Config built without a command line the options' defaults.
"""
from __future__ import annotations

import argparse
import os
from typing import Any, Callable, List, Optional, Protocol, Union

from toil_core.common.options_groups import BATCH, Opt, option_table
from toil_core.plugins.errors import PluginError
from toil_core.plugins.module_scan import ScannedBatchSystemSpec
from toil_core.plugins.registry import get_spec
from toil_core.plugins.specs import normalize_name
from toil_core.workflow.options import add_argument_if_absent

__all__ = [
    "OptionSetter", "add_all_batchsystem_options", "batch_system_options", "set_batchsystem_config_defaults",
    "set_batchsystem_options",
]

#: Which batch system a backend row belongs to, by the start of its destination.
_OWNER_PREFIXES = {
    "parasol": ("parasol",),
    "mesos": ("mesos_",),
    "kubernetes": ("kubernetes_",),
    "tes": ("tes_",),
    "aws_batch": ("aws_batch_",),
}


class OptionSetter(Protocol):
    """The ``setOption`` callback a batch system's ``setOptions`` receives: it tells the config to
    take ``option_name`` from the parsed options, parsed and checked by the given functions, with
    ``default`` (or the value of the first set variable of ``env``) when it was not given."""

    def __call__(self, option_name: str, parsing_function: Optional[Callable[[Any], Any]] = None,
                 check_function: Optional[Callable[[Any], Union[None, bool]]] = None,
                 default: Optional[Any] = None, env: Optional[List[str]] = None,
                 old_names: Optional[List[str]] = None) -> Any:
        ...


def _owner(opt: Opt) -> Optional[str]:
    dest = opt.kwargs["dest"]
    for name, prefixes in _OWNER_PREFIXES.items():
        if dest.startswith(prefixes):
            return name
    return None


def batch_system_options(batch_system: Optional[str] = None) -> List[Opt]:
    """The batch-system rows of the option table: the shared ones plus those of ``batch_system``
    (all of them when it is None)."""
    wanted = None if batch_system is None else normalize_name(batch_system)
    rows = [o for o in option_table() if o.group == BATCH]
    return [o for o in rows if not o.backend or wanted is None or _owner(o) == wanted]


def add_all_batchsystem_options(parser: Union[argparse.ArgumentParser, Any]) -> None:
    """Add every batch-system option (``--batchSystem``, ``--maxJobs``, ``--mesosEndpoint``, ...) to
    ``parser``, an ArgumentParser or an argument group; flags it already has are left alone."""
    for opt in batch_system_options():
        add_argument_if_absent(parser, *opt.flags, **opt.kwargs)


def set_batchsystem_options(batch_system: Optional[str], set_option: OptionSetter) -> None:
    """Call ``set_option`` for each option of the named batch system (with the shared ones), or of
    every batch system when ``batch_system`` is None. A named batch system written for upstream
    Toil (a plugin with its own ``setOptions``) also names its own options."""
    for opt in batch_system_options(batch_system):
        set_option(opt.kwargs["dest"], opt.kwargs.get("type"), None, opt.kwargs.get("default"))
    if batch_system is None:
        return
    try:
        spec = get_spec("batch_system", batch_system)
    except PluginError:
        return  # not installed: only the table's rows are known
    if isinstance(spec, ScannedBatchSystemSpec):
        cls = spec.load_object()
        if callable(getattr(cls, "setOptions", None)):
            cls.setOptions(set_option)


def set_batchsystem_config_defaults(config: Any) -> None:
    """Give ``config`` (a Config not built from parsed options) each batch-system option it has
    no value for: the value of the option's first set environment variable, else its default."""

    def set_default(option_name: str, parsing_function: Optional[Callable[[Any], Any]] = None,
                    check_function: Optional[Callable[[Any], Any]] = None, default: Any = None,
                    env: Optional[List[str]] = None, old_names: Optional[List[str]] = None) -> None:
        if getattr(config, option_name, None) is not None:
            return
        value = default
        for variable in env or ():
            if os.environ.get(variable):
                value = os.environ[variable]
                break
        if isinstance(value, str) and parsing_function is not None:
            value = parsing_function(value)
        if check_function is not None and value is not None:
            check_function(value)
        setattr(config, option_name, value)

    set_batchsystem_options(None, set_default)
