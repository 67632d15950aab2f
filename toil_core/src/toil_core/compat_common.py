"""The names of ``toil.common``, each imported from its home on first use (PEP 562).

``from toil.common import Toil`` is the first line of nearly every workflow script, and the fork
server imports the user's script before its first job; upstream's ``toil.common`` is cheap to
import, and so is ours: the facade module takes :func:`__getattr__` and :func:`__dir__` from here,
so ``Toil`` costs only ``toil_core.workflow.toil`` (itself cheap: it imports the leader, the job
store, the configuration and the plugin registry when a workflow starts), while ``Config`` (attrs),
the option parser (the plugin registry, pluggy), ``ToilMetrics`` (urllib.request, ssl) and the
upstream constants are imported only by the scripts that name them.

``toil/common.pyi`` gives type checkers the same names with their real types.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any, Dict, List, Tuple

__all__ = ["HOMES", "__dir__", "__getattr__"]

#: Facade name -> (home module, name there).
HOMES: Dict[str, Tuple[str, str]] = {
    **{name: ("toil_core.common.config", name)
       for name in ("Config", "OptionError", "parse_accelerator_list", "parseBool", "parseSetEnv")},
    **{name: ("toil_core.compat_names", name)
       for name in ("JOBSTORE_HELP", "SYS_MAX_SIZE", "UUID_LENGTH", "defaultTargetTime",
                    "safeUnpickleFromStream")},
    "logger": ("toil_core.compat_names", "common_logger"),
    **{name: ("toil_core.workflow.options", name)
       for name in ("add_options", "addOptions", "get_default_argument_parser", "get_default_options",
                    "parser_with_common_options")},
    "ToilMetrics": ("toil_core.workflow.metrics", "ToilMetrics"),
    **{name: ("toil_core.workflow.toil", name)
       for name in ("Toil", "ToilContextManagerException", "ToilRestartException", "normalize_uri",
                    "getDirSizeRecursively", "getFileSystemSize", "iC", "fC")},
}

_FACADE = "toil.common"


def __getattr__(name: str) -> Any:
    """``toil.common.<name>``: imports the name's home module, then keeps the value in the facade
    module so the next access is an ordinary attribute read."""
    home = HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {_FACADE!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home[0]), home[1])
    facade = sys.modules.get(_FACADE)
    if facade is not None:
        setattr(facade, name, value)
    return value


def __dir__() -> List[str]:
    """The facade's names, imported or not yet."""
    facade = sys.modules.get(_FACADE)
    return sorted(set(vars(facade) if facade is not None else ()) | set(HOMES))
