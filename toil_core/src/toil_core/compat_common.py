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

from typing import Dict, Tuple

from toil_core.lib.lazy_names import lazy_names

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

__getattr__, __dir__ = lazy_names("toil.common", HOMES)
