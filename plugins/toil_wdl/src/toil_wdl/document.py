"""Finding the parts of a WDL document from inside a job.

Jobs do not pickle miniwdl's syntax tree: they carry a :class:`DocRef` (the document's URI) and the
IDs of the nodes they run. :meth:`DocRef.load` parses and type-checks the document once per process.
A workflow inside the document is named by a path of call node IDs from the main workflow down
through sub-workflow calls (``()`` is the main workflow).
"""
from __future__ import annotations

import os
import re
from typing import Any, Dict, Iterator, List, Optional, Tuple

import attrs
import WDL
from WDL import Expr, Tree

__all__ = ["DocRef", "WorkflowPath", "find_node", "load_document", "referenced_names", "section_order"]

#: Call node IDs from the main workflow down to a (sub-)workflow.
WorkflowPath = Tuple[str, ...]

_DOCUMENTS: Dict[str, Tree.Document] = {}


def load_document(uri: str) -> Tree.Document:
    """Parse and type-check ``uri`` (cached per process)."""
    doc = _DOCUMENTS.get(uri)
    if doc is None:
        doc = WDL.load(uri, path=[os.path.dirname(uri)] if "://" not in uri else [],
                       check_quant=True)
        _DOCUMENTS[uri] = doc
    return doc


@attrs.frozen
class DocRef:
    """What every job knows about the run: the document, its folder, and resource limits."""

    uri: str
    source_dir: str
    limits: Dict[str, float] = attrs.field(factory=dict, hash=False)
    container: str = "none"
    wf_inputs: Any = None  #: reserved

    def load(self) -> Tree.Document:
        return load_document(self.uri)

    def workflow(self, path: WorkflowPath) -> Tree.Workflow:
        doc = self.load()
        wf = doc.workflow
        for call_id in path:
            call = find_node(wf, call_id)
            assert isinstance(call, Tree.Call) and isinstance(call.callee, Tree.Workflow)
            wf = call.callee
        return wf

    def task(self, path: WorkflowPath, call_id: str) -> Tuple[Tree.Task, str]:
        """The task a call runs, and the call's name (``call_id`` ``task:NAME`` is a lone task)."""
        if call_id.startswith("task:"):
            name = call_id[5:]
            for task in self.load().tasks:
                if task.name == name:
                    return task, name
            raise KeyError(name)
        call = find_node(self.workflow(path), call_id)
        assert isinstance(call, Tree.Call) and isinstance(call.callee, Tree.Task)
        return call.callee, call.name


def _walk(nodes: List[Tree.WorkflowNode]) -> Iterator[Tree.WorkflowNode]:
    for node in nodes:
        yield node
        if isinstance(node, Tree.WorkflowSection):
            yield from _walk(node.body)


def find_node(workflow: Tree.Workflow, node_id: str) -> Tree.WorkflowNode:
    for node in _walk(list(workflow.inputs or []) + list(workflow.body)):
        if node.workflow_node_id == node_id:
            return node
    raise KeyError(f"{node_id} not found in workflow {workflow.name}")


def _all_dependencies(node: Tree.WorkflowNode) -> set:
    """The node's dependencies, with those of everything in its body for a section."""
    deps = set(node.workflow_node_dependencies)
    if isinstance(node, Tree.WorkflowSection):
        for inner in node.body:
            deps |= _all_dependencies(inner)
    return deps


def section_order(nodes: List[Tree.WorkflowNode]) -> List[Tuple[Tree.WorkflowNode, List[str]]]:
    """The nodes of one section in dependency order, each with the IDs of the nodes of the same
    section it waits for (references to a nested section's gathered values count as the section)."""
    owner: Dict[str, str] = {}
    for node in nodes:
        owner[node.workflow_node_id] = node.workflow_node_id
        if isinstance(node, Tree.WorkflowSection):
            for gather in node.gathers.values():
                owner[gather.workflow_node_id] = node.workflow_node_id
    deps = {n.workflow_node_id: sorted({owner[d] for d in _all_dependencies(n) if d in owner}
                                       - {n.workflow_node_id}) for n in nodes}
    by_id = {n.workflow_node_id: n for n in nodes}
    done: List[str] = []
    placed: set = set()
    remaining = [n.workflow_node_id for n in nodes]
    while remaining:
        ready = [i for i in remaining if all(d in placed for d in deps[i])]
        if not ready:  # miniwdl rejects cycles; keep the source order if that ever changes
            ready = remaining[:1]
        for i in ready:
            placed.add(i)
            done.append(i)
        remaining = [i for i in remaining if i not in placed]
    return [(by_id[i], deps[i]) for i in done]


def referenced_names(expr: Optional[Expr.Base]) -> Iterator[str]:
    """The identifiers an expression reads."""
    if expr is None:
        return
    if isinstance(expr, Expr.Ident):
        yield expr.name
    for child in expr.children:
        yield from referenced_names(child)


_SIZE = re.compile(r"^\s*([0-9.]+)\s*([A-Za-z]*)\s*$")
_UNITS = {"": 1, "B": 1, "K": 1000, "KB": 1000, "M": 1000 ** 2, "MB": 1000 ** 2, "G": 1000 ** 3,
          "GB": 1000 ** 3, "T": 1000 ** 4, "TB": 1000 ** 4, "KI": 1024, "KIB": 1024, "MI": 1024 ** 2,
          "MIB": 1024 ** 2, "GI": 1024 ** 3, "GIB": 1024 ** 3, "TI": 1024 ** 4, "TIB": 1024 ** 4}


def parse_size(text: Any, default_unit: str = "B") -> Optional[int]:
    """Bytes of a WDL size (``"4 GiB"``, ``"2G"``, an Int of bytes); None when it cannot be read."""
    if isinstance(text, (int, float)):
        return int(text * _UNITS[default_unit.upper()])
    m = _SIZE.match(str(text))
    if not m or m.group(2).upper() not in _UNITS:
        return None
    return int(float(m.group(1)) * _UNITS[m.group(2).upper() or default_unit.upper()])


def parse_disks(text: Any) -> Optional[int]:
    """Bytes of a ``disks`` runtime value (``"local-disk 10 HDD"``, ``"10 GiB"``, an Int of GiB)."""
    if isinstance(text, (int, float)):
        return int(text * 1024 ** 3)
    total = 0
    for spec in str(text).split(","):
        parts = spec.split()
        numbers = [p for p in parts if re.fullmatch(r"[0-9.]+", p)]
        if not numbers:
            continue
        idx = parts.index(numbers[0])
        unit = parts[idx + 1] if idx + 1 < len(parts) and parts[idx + 1].upper() in _UNITS else "GiB"
        total += int(float(numbers[0]) * _UNITS[unit.upper()])
    return total or None
