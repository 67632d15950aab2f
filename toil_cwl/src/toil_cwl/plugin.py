"""toil-cwl's plugin hooks (entry points in ``toil.commands`` and ``toil.plugins``).

* ``toil cwl-runner WORKFLOW.cwl [INPUTS]`` is the same as ``toil-cwl-runner``.
* ``toil_error_hints`` adds a remediation line to CWL failures reported by the core.

Kept free of heavy imports: the core loads ``toil.plugins`` modules in every workflow run.
"""
from __future__ import annotations

from typing import List

from toil_core.plugin_api import SubcommandSpec, hookimpl

__all__ = ["toil_error_hints", "toil_subcommands"]


@hookimpl
def toil_subcommands() -> List[SubcommandSpec]:
    return [SubcommandSpec(name="cwl-runner", load="toil_cwl.main:main",
                           summary="Run a CWL (v1.0-v1.2) tool or workflow (same as toil-cwl-runner).")]


@hookimpl
def toil_error_hints(error: BaseException) -> List[str]:
    module = type(error).__module__ or ""
    text = str(error)
    from_cwl = module.startswith(("cwltool", "cwl_utils", "schema_salad"))
    if from_cwl or "toilfile:" in text or "toildir:" in text:
        return ["This is a CWL error: rerun toil-cwl-runner with --debug (and --logDebug) "
                "for details."]
    return []
