"""Scatter chains: scattered steps whose element ``i`` needs only element ``i`` of another.

In ``echo -> upper -> count`` with each step scattered over the previous step's output array,
element ``i`` of ``upper`` reads nothing but element ``i`` of ``echo/out``. CWL runs a step once
all its inputs are available, so a plain translation waits for the whole ``echo`` scatter before
any ``upper`` element starts (a barrier per step, and a job-store round trip per step and batch).
The outputs do not depend on that wait: running ``echo[i]``, ``upper[i]`` and ``count[i]`` in a
row, element by element, gives the same arrays. :func:`plan_chains` finds the steps where this
holds; :mod:`toil_cwl.jobs` runs each chain's elements in batches (``CWLChainStep``).

A step B joins the chain of step A when all of these hold (anything else keeps the barrier):

* both scatter with ``dotproduct`` (or over one input), one level deep, and run a
  CommandLineTool or ExpressionTool whose resources hold no expressions;
* every input B scatters over has exactly one source, an output of a step of the chain, with
  neither ``linkMerge`` nor ``pickValue`` (those act on the whole array);
* B's other inputs come from outside the chain and from nothing that depends on the chain (they
  are whole values, known when the chain starts).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Set

from cwltool.utils import aslist
from cwltool.workflow import Workflow

from toil_cwl.context import static_resources

__all__ = ["chain_resources", "plan_chains", "source_ids", "step_sources"]


def source_ids(entries: Any, key: str) -> List[str]:
    """The IDs named by ``key`` (one ID or a list) across ``entries``, in order, without repeats."""
    found: List[str] = []
    for entry in entries:
        source = entry.get(key)
        for src in source if isinstance(source, list) else ([source] if source else []):
            if src not in found:
                found.append(src)
    return found


def step_sources(step: Any) -> List[str]:
    """The source IDs a step reads, in order, without repeats."""
    return source_ids(step.tool["inputs"], "source")


def _chainable(step: Any) -> Optional[Dict[str, Any]]:
    """The static resources of a step that can be part of a chain; None if it cannot."""
    if "scatter" not in step.tool or step.tool.get("scatterMethod") not in (None, "dotproduct"):
        return None
    process = step.embedded_tool
    if isinstance(process, Workflow):
        return None
    resources = static_resources(process)
    if resources is None or resources.get("accelerators"):
        return None
    return resources


def chain_resources(members: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Job requirements for running the members' tools one after another: the largest of each."""
    combined: Dict[str, Any] = {}
    for resources in members:
        for key, value in resources.items():
            combined[key] = max(combined.get(key, value), value)
    return combined


def _ordered(steps: List[Any], producer: Dict[str, Any]) -> List[Any]:
    """``steps`` in an order where every step comes after the steps it reads from."""
    done: Set[str] = set()
    order: List[Any] = []
    pending = list(steps)
    while pending:
        ready = [s for s in pending if all(producer[src].id in done for src in step_sources(s)
                                           if src in producer)]
        if not ready:  # a cycle: CWLWorkflow reports it; plan nothing for what is left
            break
        for step in ready:
            pending.remove(step)
            done.add(step.id)
            order.append(step)
    return order


def plan_chains(workflow: Any) -> List[List[Any]]:
    """The chains of ``workflow`` with two steps or more, each in running order (its first step,
    the root, scatters over values available before the chain starts)."""
    producer = {out["id"]: step for step in workflow.steps for out in step.tool["outputs"]}
    ancestors: Dict[str, Set[str]] = {}
    chain_of: Dict[str, str] = {}  # step ID -> ID of the root of its chain
    chains: Dict[str, List[Any]] = {}
    resources: Dict[str, Dict[str, Any]] = {}
    for step in _ordered(list(workflow.steps), producer):
        parents = {producer[src].id for src in step_sources(step) if src in producer}
        ancestors[step.id] = set(parents).union(*(ancestors.get(p, set()) for p in parents))
        own = _chainable(step)
        if own is None:
            continue
        resources[step.id] = own
        root = _root_for(step, producer, chain_of, resources)
        if root is None:
            continue
        members = chains.get(root, [producer_step(workflow, root)])
        member_ids = {m.id for m in members}
        scattered = set(aslist(step.tool["scatter"]))
        external_ok = all(
            src not in producer or (producer[src].id not in member_ids
                                    and not (ancestors[producer[src].id] & member_ids))
            for inp in step.tool["inputs"] if inp["id"] not in scattered
            for src in aslist(inp.get("source") or []))
        if not external_ok:
            continue
        chains[root] = members + [step]
        chain_of[root] = root
        chain_of[step.id] = root
    return list(chains.values())


def producer_step(workflow: Any, step_id: str) -> Any:
    return next(s for s in workflow.steps if s.id == step_id)


def _root_for(step: Any, producer: Dict[str, Any], chain_of: Dict[str, str],
              resources: Dict[str, Dict[str, Any]]) -> Optional[str]:
    """The root of the chain ``step`` can join (see the module docstring), or None."""
    inputs = {inp["id"]: inp for inp in step.tool["inputs"]}
    roots: Set[str] = set()
    for key in aslist(step.tool["scatter"]):
        inp = inputs.get(key)
        if inp is None or inp.get("linkMerge") or inp.get("pickValue"):
            return None
        sources = aslist(inp.get("source") or [])
        if len(sources) != 1 or sources[0] not in producer:
            return None
        source_step = producer[sources[0]]
        if source_step.id not in resources:  # not chainable itself
            return None
        roots.add(chain_of.get(source_step.id, source_step.id))
    if len(roots) != 1:
        return None
    root = roots.pop()
    if set(resources[root]) != set(resources[step.id]):
        return None
    return root
