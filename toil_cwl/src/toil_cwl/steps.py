"""Workflow step semantics, evaluated inside jobs once the upstream values are known.

* :func:`step_inputs` merges a step's sources (``linkMerge``, ``pickValue``, ``default``) with
  cwltool's own ``object_from_state``.
* :func:`post_scatter_eval` applies ``loadContents``, ``valueFrom`` and ``when`` the way cwltool
  does after scattering (None means the step is skipped).
* :func:`scatter_elements` / :func:`gather` implement ``dotproduct``, ``nested_crossproduct``
  and ``flat_crossproduct`` as nested lists of per-job input objects, and turn per-job outputs
  back into the step's output arrays.
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable, Dict, List, Optional, cast

from cwltool.builder import content_limit_respected_read
from cwltool.errors import WorkflowException
from cwltool.process import get_listing, shortname
from cwltool.utils import WorkflowStateItem, adjustDirObjs, aslist
from cwltool.workflow_job import expression as cwl_expression
from cwltool.workflow_job import object_from_state

logger = logging.getLogger(__name__)

__all__ = ["Gathered", "gather", "post_scatter_eval", "scatter_elements", "skipped_outputs", "step_inputs",
           "tool_inputs", "workflow_outputs"]


def _supports_multiple(workflow: Any) -> bool:
    return bool(workflow.get_requirement("MultipleInputFeatureRequirement")[0])


def _state(values: Dict[str, Any], params: Dict[str, Any]) -> Dict[str, Optional[WorkflowStateItem]]:
    state: Dict[str, Optional[WorkflowStateItem]] = {}
    for source, value in values.items():
        param = params.get(source)
        if param is None:
            raise WorkflowException(f"Unknown source {source!r}")
        state[source] = WorkflowStateItem(param, value, "success")
    return state


def step_inputs(step: Any, workflow: Any, values: Dict[str, Any], params: Dict[str, Any]) -> Dict[str, Any]:
    """The step's input object (keyed by full input IDs) from its sources' ``values``."""
    inputs = object_from_state(_state(values, params), step.tool["inputs"], False,
                               _supports_multiple(workflow), "source")
    if inputs is None:
        raise WorkflowException(f"Step {step.id} ran before all of its inputs were available")
    if any("valueFrom" in i for i in step.tool["inputs"]) and not workflow.get_requirement(
            "StepInputExpressionRequirement")[0]:
        raise WorkflowException("Workflow step contains valueFrom but StepInputExpressionRequirement "
                                "not in requirements")
    return cast(Dict[str, Any], inputs)  # cwltool's mapping is a dict


def workflow_outputs(workflow: Any, values: Dict[str, Any], params: Dict[str, Any]) -> Dict[str, Any]:
    """The workflow's output object (keyed by short names) from its outputSources' ``values``."""
    outputs = object_from_state(_state(values, params), workflow.tool["outputs"], True,
                                _supports_multiple(workflow), "outputSource", incomplete=True)
    if outputs is None:
        raise WorkflowException(f"Cannot collect the outputs of {workflow.tool.get('id')}")
    return cast(Dict[str, Any], outputs)  # cwltool's mapping is a dict


def post_scatter_eval(step: Any, workflow: Any, io: Dict[str, Any], fs_access: Any,
                      runtime: Any, container_engine: str) -> Optional[Dict[str, Any]]:
    """``loadContents``, ``valueFrom`` and ``when`` of one job of a step; None when skipped."""
    value_from = {i["id"]: i["valueFrom"] for i in step.tool["inputs"] if "valueFrom" in i}
    load_contents = {i["id"] for i in step.tool["inputs"] if i.get("loadContents")}
    short_io = {shortname(k): v for k, v in io.items()}
    for key, value in io.items():
        if key in load_contents and value is not None:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and item.get("contents") is None:
                    with fs_access.open(item["location"], "rb") as handle:
                        item["contents"] = content_limit_respected_read(handle)

    def evaluate(expression: Any, inputs: Dict[str, Any], context: Any = None) -> Any:
        return cwl_expression.do_eval(expression, inputs, workflow.requirements, None, None, {},
                                      context=context, debug=runtime.debug, js_console=runtime.js_console,
                                      timeout=runtime.eval_timeout, container_engine=container_engine)

    def apply_value_from(key: str, value: Any) -> Any:
        if key not in value_from:
            return value
        adjustDirObjs(value, functools.partial(get_listing, fs_access, recursive=True))
        return evaluate(value_from[key], short_io, value)

    evaluated = {k: apply_value_from(k, v) for k, v in io.items()}
    if "when" in step.tool:
        condition = evaluate(step.tool["when"], {shortname(k): v for k, v in evaluated.items()})
        if condition is False:
            logger.debug("Step %s skipped: 'when' is false", step.id)
            return None
        if condition is not True:
            raise WorkflowException("Conditional 'when' must evaluate to 'true' or 'false'")
    return evaluated


def tool_inputs(step: Any, io: Dict[str, Any]) -> Dict[str, Any]:
    """The input object of the process a step runs (short names; unconnected inputs dropped)."""
    return {shortname(i["id"]): io[i["id"]] for i in step.tool["inputs"]
            if not i.get("not_connected") and i["id"] in io}


def skipped_outputs(step: Any) -> Dict[str, Any]:
    return {shortname(o["id"]): None for o in step.tool["outputs"]}


# ---------------------------------------------------------------------------------------------
# Scatter and gather
# ---------------------------------------------------------------------------------------------

def _as_list(value: Any, key: str) -> List[Any]:
    if not isinstance(value, list):
        raise WorkflowException(
            f"Scatter input {shortname(key)} must be an array, got {type(value).__name__}")
    return value


def scatter_elements(step: Any, inputs: Dict[str, Any]) -> Any:
    """Per-job input objects of a scattered step: a list, nested per scattered input for
    ``nested_crossproduct``."""
    keys = aslist(step.tool["scatter"])
    method = step.tool.get("scatterMethod")
    if method is None and len(keys) != 1:
        raise WorkflowException("Must specify scatterMethod when scattering over multiple inputs")
    arrays = {k: _as_list(inputs.get(k), k) for k in keys}

    def with_values(assignment: Dict[str, Any]) -> Dict[str, Any]:
        element = dict(inputs)
        element.update(assignment)
        return element

    if method in (None, "dotproduct"):
        lengths = {len(a) for a in arrays.values()}
        if len(lengths) > 1:
            raise WorkflowException(
                "Length of input arrays must be equal when performing dotproduct scatter.")
        size = lengths.pop() if lengths else 0
        return [with_values({k: arrays[k][i] for k in keys}) for i in range(size)]

    def cross(index: int, assignment: Dict[str, Any]) -> List[Any]:
        key = keys[index]
        result: List[Any] = []
        for value in arrays[key]:
            chosen = dict(assignment, **{key: value})
            if index + 1 == len(keys):
                result.append(with_values(chosen))
            elif method == "nested_crossproduct":
                result.append(cross(index + 1, chosen))
            else:
                result.extend(cross(index + 1, chosen))
        return result

    if method in ("nested_crossproduct", "flat_crossproduct"):
        return cross(0, {})
    raise WorkflowException(f"Unknown scatterMethod {method!r}")


def map_nested(value: Any, depth: int, func: Callable[[Any], Any]) -> Any:
    """Apply ``func`` to the leaves of a list nested ``depth`` levels deep."""
    if depth <= 0:
        return func(value)
    return [map_nested(item, depth - 1, func) for item in value]


def nesting_depth(step: Any) -> int:
    if step.tool.get("scatterMethod") == "nested_crossproduct":
        return len(aslist(step.tool["scatter"]))
    return 1


class Gathered:
    """What a scattered step job returns: per-job outputs (or promises of them), nested like
    the scatter, to be turned into output arrays by :func:`gather`."""

    def __init__(self, results: Any, output_names: List[str], depth: int) -> None:
        self.results = results
        self.output_names = output_names
        self.depth = depth


def gather(gathered: Gathered) -> Dict[str, Any]:
    return {name: map_nested(gathered.results, gathered.depth, _output_named(name))
            for name in gathered.output_names}


def _output_named(name: str) -> Callable[[Any], Any]:
    """Picks the output ``name`` from one result object (None for a missing result)."""
    return lambda out: (out or {}).get(name)
