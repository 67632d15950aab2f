"""toil-wdl's plugin hooks (entry points in ``toil.commands`` and ``toil.plugins``).

* ``toil wdl-runner WORKFLOW.wdl [INPUTS.json]`` is the same as ``toil-wdl-runner``.
* ``toil_error_hints`` adds a remediation line to WDL failures reported by the core.

Kept free of heavy imports: the core loads ``toil.plugins`` modules in every workflow run.
"""
from __future__ import annotations

from typing import List

from toil_core.plugin_api import SubcommandSpec, hookimpl

__all__ = ["toil_error_hints", "toil_subcommands"]


@hookimpl
def toil_subcommands() -> List[SubcommandSpec]:
    return [SubcommandSpec(name="wdl-runner", load="toil_wdl.main:main",
                           summary="Run a WDL (1.0, 1.1, draft-2) workflow (same as toil-wdl-runner).")]


@hookimpl
def toil_error_hints(error: BaseException) -> List[str]:
    module = type(error).__module__ or ""
    if module.startswith(("WDL", "toil_wdl")):
        return ["This is a WDL error: rerun toil-wdl-runner with --logDebug for details."]
    return []
