"""The Toil jobs a WDL run is made of.

A section of a workflow (its body, or the body of a scatter or conditional) is *planned* inside
a running job by :func:`plan_section`: nodes whose inputs are all known are handled right there —
declarations evaluated, a call of a task turned into a :class:`TaskJob` child with the task's
resources, a false conditional bound to nulls, an empty scatter to empty arrays — and the
rest become jobs:

* :class:`TaskJob` runs one call of a task (:mod:`toil_wdl.task`) and returns its outputs.
* :class:`WorkflowJob` runs a (sub-)workflow: it plans the body and adds a :class:`OutputsJob`
  follow-on that evaluates the output section.
* :class:`ScatterJob` plans the body once per element and adds a :class:`GatherJob` follow-on
  building the arrays; :class:`ConditionalJob` plans a true conditional's body.
* :class:`NodeJob` waits for the jobs producing a node's inputs, then plans that node.

Every job returns an environment fragment (:data:`toil_wdl.values.Frag`) or a promise of one.
A node that spawns jobs of its own is encapsulated, so that nodes depending on it run after its
whole subgraph.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Tuple, Union

from WDL import Env, Tree, Type, Value

from toil.job import Job, Promise
from toil_wdl.document import DocRef, WorkflowPath, find_node, section_order
from toil_wdl.task import call_resources, eval_declarations, null_overrides_default, run_task
from toil_wdl.values import Frag, ToilStdLib, WDLRunnerError, bindings, detach, frag, merge

logger = logging.getLogger(__name__)

__all__ = ["ConditionalJob", "GatherJob", "NodeJob", "OutputsJob", "ScatterJob", "TaskJob", "WorkflowJob",
           "plan_section"]

#: Resources of the jobs that only evaluate expressions and expand the graph.
SMALL = {"cores": 0.1, "memory": "256M", "disk": "16M"}

FragOrPromise = Union[Frag, Promise]


def _stdlib(job: Job, doc: DocRef, version: str) -> ToilStdLib:
    scratch = job.fileStore.getLocalTempDir()
    return ToilStdLib(version, job.fileStore, scratch, doc.source_dir, upload=True)


def _merge_all(parts: List[Any]) -> Frag:
    """Resolved fragments (lists, possibly nested) merged."""
    out: Frag = []
    for part in parts:
        out = merge(out, part)
    return out


def _node_ids(nodes: List[Tree.WorkflowNode]) -> List[str]:
    return [n.workflow_node_id for n in nodes]


class WDLJob(Job):
    """Common base: the document and the (sub-)workflow this job belongs to."""

    def __init__(self, doc: DocRef, wf_path: WorkflowPath, unit: str, small: bool = True,
                 resources: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(**(resources or SMALL), unitName=unit, displayName=unit)
        self.doc = doc
        self.wf_path = wf_path

    def workflow(self) -> Tree.Workflow:
        return self.doc.workflow(self.wf_path)


def _call_inputs(job: Job, doc: DocRef, call: Tree.Call, env: Env.Bindings[Value.Base],
                 nested: Frag, stdlib: ToilStdLib) -> Frag:
    """The callee's inputs: the call's expressions, plus inputs given in the input file as
    ``call.input`` (``nested`` holds the workflow's inputs under their full names)."""
    callee = call.callee
    decls = {d.name: d for d in (callee.inputs if callee.inputs is not None else
                                 getattr(callee, "postinputs", []) or [])}
    out: Frag = []
    for name, expr in call.inputs.items():
        value = expr.eval(env, stdlib=stdlib)
        if isinstance(value, Value.Null) and name in decls and decls[name].expr is not None \
                and not null_overrides_default(decls[name], callee.effective_wdl_version):
            continue  # a null for an input with a default means the default
        if name in decls:
            try:
                value = value.coerce(decls[name].type)
            except Exception as err:  # noqa: BLE001
                raise WDLRunnerError(f"call {call.name}, input {name}: {err}") from err
        out.append((name, detach(value)))
    prefix = call.name + "."
    given = {n for n, _ in out}
    for name, value in nested:
        if name.startswith(prefix) and name[len(prefix):] not in given:
            out.append((name[len(prefix):], value))
    return out


def plan_node(job: Job, doc: DocRef, wf_path: WorkflowPath, node: Tree.WorkflowNode,
              env: Env.Bindings[Value.Base], nested: Frag) -> Tuple[FragOrPromise, Optional[Job], bool]:
    """Handle one node whose inputs are known: ``(fragment or promise, new job or None, leaf)``."""
    version = doc.workflow(wf_path).effective_wdl_version
    stdlib = _stdlib(job, doc, version)
    if isinstance(node, Tree.Decl):
        if node in (doc.workflow(wf_path).inputs or []) or (
                doc.workflow(wf_path).inputs is None and env.has_binding("_given." + node.name)):
            given = bindings([(n[len("_given."):], v) for n, v in frag(env) if n.startswith("_given.")])
            value_env = eval_declarations([node], given, stdlib, env=env, version=version)
        else:
            value_env = eval_declarations([node], Env.Bindings(), stdlib, env=env, overridable=set())
        return [(node.name, detach(value_env[node.name]))], None, True
    if isinstance(node, Tree.Call):
        inputs = _call_inputs(job, doc, node, env, nested, stdlib)
        if isinstance(node.callee, Tree.Task):
            resources, _ = call_resources(node.callee, bindings(inputs), job.fileStore,
                                          job.fileStore.getLocalTempDir(), doc.source_dir, doc.limits)
            label = f"{doc.workflow(wf_path).name}.{node.name}"
            child = TaskJob(doc, wf_path, node.workflow_node_id, inputs, resources, label)
            return child.rv(), child, True
        child = WorkflowJob(doc, wf_path + (node.workflow_node_id,), inputs, namespace=node.name)
        return child.rv(), child, False
    if isinstance(node, Tree.Scatter):
        array = node.expr.eval(env, stdlib=stdlib)
        items = array.value if isinstance(array, Value.Array) else []
        if not items:
            return _gather_scatter(node, []), None, True
        child = ScatterJob(doc, wf_path, node.workflow_node_id, frag(env), nested)
        return child.rv(), child, False
    if isinstance(node, Tree.Conditional):
        cond = node.expr.eval(env, stdlib=stdlib).coerce(Type.Boolean())
        if not cond.value:
            return _gather_conditional(node, None), None, True
        child = ConditionalJob(doc, wf_path, node.workflow_node_id, frag(env), nested)
        return child.rv(), child, False
    raise WDLRunnerError(f"unsupported workflow element {type(node).__name__}")


def plan_section(job: Job, doc: DocRef, wf_path: WorkflowPath, nodes: List[Tree.WorkflowNode],
                 env_frag: Frag, nested: Frag) -> List[FragOrPromise]:
    """Plan the nodes of one section in ``job``; returns the fragments (and promises of fragments)
    that together bind every name the section defines."""
    known = list(env_frag)
    results: List[FragOrPromise] = []
    pending: Dict[str, Tuple[Job, Promise]] = {}
    for node, deps in section_order(nodes):
        waiting = [pending[d] for d in deps if d in pending]
        if not waiting:
            value, new_job, leaf = plan_node(job, doc, wf_path, node, bindings(known), nested)
            if new_job is None:
                known = merge(known, value)
                results.append(value)
                continue
            attached = new_job if leaf else new_job.encapsulate()
            job.addChild(attached)
            pending[node.workflow_node_id] = (attached, value)
            results.append(value)
            continue
        node_job = NodeJob(doc, wf_path, node.workflow_node_id, known, [p for _, p in waiting], nested)
        attached = node_job.encapsulate()
        for parent, _ in waiting:
            parent.addChild(attached)
        promise = node_job.rv()
        pending[node.workflow_node_id] = (attached, promise)
        results.append(promise)
    return results


class TaskJob(WDLJob):
    """One call of a task, with the task's resources.

    Its unit and display name is the call's path, ``<workflow>.<call>`` (the task's name for a
    document without a workflow), so that batch systems name the job after the WDL call (Slurm
    shows ``toil_job_<N>_<workflow>.<call>``), as upstream's toil-wdl-runner does."""

    def __init__(self, doc: DocRef, wf_path: WorkflowPath, call_id: str, inputs: Frag,
                 resources: Dict[str, Any], label: str) -> None:
        super().__init__(doc, wf_path, label, resources=resources)
        self.call_id = call_id
        self.inputs = inputs

    def run(self, fileStore: Any) -> Frag:
        task, call_name = self.doc.task(self.wf_path, self.call_id)
        return run_task(task, call_name, bindings(self.inputs), fileStore, self.doc.source_dir,
                        self.doc.container)


class NodeJob(WDLJob):
    """A node whose inputs come from other jobs: plans it once they are known."""

    def __init__(self, doc: DocRef, wf_path: WorkflowPath, node_id: str, env: Frag, upstream: List[Any],
                 nested: Frag) -> None:
        super().__init__(doc, wf_path, node_id)
        self.node_id = node_id
        self.env = env
        self.upstream = upstream
        self.nested = nested

    def run(self, fileStore: Any) -> FragOrPromise:
        node = find_node(self.workflow(), self.node_id)
        env = bindings(self.env, _merge_all(self.upstream))
        value, new_job, leaf = plan_node(self, self.doc, self.wf_path, node, env, self.nested)
        if new_job is not None:
            self.addChild(new_job)
        return value


class CollectJob(WDLJob):
    """Merges the fragments of a planned section (a follow-on, so everything in it has run)."""

    def __init__(self, doc: DocRef, wf_path: WorkflowPath, unit: str, parts: List[Any]) -> None:
        super().__init__(doc, wf_path, unit)
        self.parts = parts

    def run(self, fileStore: Any) -> Frag:
        return _merge_all(self.parts)


class WorkflowJob(WDLJob):
    """A (sub-)workflow on its inputs; returns its outputs, named ``namespace.output``."""

    def __init__(self, doc: DocRef, wf_path: WorkflowPath, inputs: Frag, namespace: str) -> None:
        super().__init__(doc, wf_path, namespace)
        self.inputs = inputs
        self.namespace = namespace

    def run(self, fileStore: Any) -> Promise:
        wf = self.workflow()
        given = [("_given." + n, v) for n, v in self.inputs if "." not in n]
        nested = [(n, v) for n, v in self.inputs if "." in n]
        nodes = list(wf.inputs or []) + list(wf.body)
        if wf.inputs is None:  # draft-2: declarations of the body may be given as inputs
            nodes = list(wf.body)
        parts = plan_section(self, self.doc, self.wf_path, nodes, given, nested)
        outputs = OutputsJob(self.doc, self.wf_path, self.namespace, parts)
        self.addFollowOn(outputs)
        return outputs.rv()


class OutputsJob(WDLJob):
    """Evaluates a workflow's output section once its body has run."""

    def __init__(self, doc: DocRef, wf_path: WorkflowPath, namespace: str, parts: List[Any]) -> None:
        super().__init__(doc, wf_path, namespace + ".outputs")
        self.namespace = namespace
        self.parts = parts

    def run(self, fileStore: Any) -> Frag:
        wf = self.workflow()
        env = bindings(_merge_all(self.parts))
        out: Frag = []
        if wf.outputs is None:  # no output section: every call's outputs
            for b in wf.effective_outputs:
                if env.has_binding(b.name):
                    out.append((f"{self.namespace}.{b.name}", env[b.name]))
            return out
        stdlib = _stdlib(self, self.doc, wf.effective_wdl_version)
        for decl in wf.outputs:
            try:
                value = decl.expr.eval(env, stdlib=stdlib).coerce(decl.type)
            except Exception as err:  # noqa: BLE001 - name the output
                raise WDLRunnerError(f"workflow {wf.name}, output {decl.name}: {err}") from err
            if isinstance(value, Value.Null) and not decl.type.optional:
                raise WDLRunnerError(f"workflow {wf.name}: output {decl.name} is null but its type "
                                     f"{decl.type} is not optional")
            env = env.bind(decl.name, value)
            out.append((f"{self.namespace}.{decl.name}", detach(value)))
        return out


def _gathered(gather: Tree.Gather) -> List[Tuple[str, Type.Base]]:
    """The names (and their types inside the section) a section's gather node makes visible
    outside it: a declaration's name, or a call's outputs as ``call.output``; a gather of a nested
    section's gather has the nested section's array/optional types."""
    ref = gather.referee
    if isinstance(ref, Tree.Gather):
        inner = _gathered(ref)
        if isinstance(ref.section, Tree.Scatter):
            return [(name, Type.Array(ty)) for name, ty in inner]
        return [(name, ty.copy(optional=True)) for name, ty in inner]
    if isinstance(ref, Tree.Decl):
        return [(ref.name, ref.type)]
    return [(b.name, b.value) for b in ref.effective_outputs]


def _gather_scatter(node: Tree.Scatter, elements: List[Frag]) -> Frag:
    """Each name the scatter's body defines, as the array of its values in element order."""
    envs = [bindings(e) for e in elements]
    out: Frag = []
    for gather in node.gathers.values():
        for name, item_type in _gathered(gather):
            values = [e[name] if e.has_binding(name) else Value.Null() for e in envs]
            out.append((name, Value.Array(item_type, values)))
    return out


def _gather_conditional(node: Tree.Conditional, body: Optional[Frag]) -> Frag:
    """Each name the conditional's body defines: its value, or null when the body did not run."""
    env = bindings(body) if body is not None else None
    return [(name, env[name] if env is not None and env.has_binding(name) else Value.Null())
            for gather in node.gathers.values() for name, _ in _gathered(gather)]


class ScatterJob(WDLJob):
    """Plans a scatter's body once per element; its :class:`GatherJob` follow-on builds the arrays."""

    def __init__(self, doc: DocRef, wf_path: WorkflowPath, node_id: str, env: Frag, nested: Frag) -> None:
        super().__init__(doc, wf_path, node_id)
        self.node_id = node_id
        self.env = env
        self.nested = nested

    def run(self, fileStore: Any) -> Promise:
        node = find_node(self.workflow(), self.node_id)
        assert isinstance(node, Tree.Scatter)
        env = bindings(self.env)
        stdlib = _stdlib(self, self.doc, self.workflow().effective_wdl_version)
        array = node.expr.eval(env, stdlib=stdlib)
        elements = []
        for item in array.value:
            sub = merge(self.env, [(node.variable, detach(item))])
            elements.append(plan_section(self, self.doc, self.wf_path, list(node.body), sub, self.nested))
        gather = GatherJob(self.doc, self.wf_path, self.node_id, elements)
        self.addFollowOn(gather)
        return gather.rv()


class GatherJob(WDLJob):
    """Arrays of a scatter's values (or a conditional's optional values) once the body has run."""

    def __init__(self, doc: DocRef, wf_path: WorkflowPath, node_id: str, elements: List[List[Any]]) -> None:
        super().__init__(doc, wf_path, node_id + ".gather")
        self.node_id = node_id
        self.elements = elements

    def run(self, fileStore: Any) -> Frag:
        node = find_node(self.workflow(), self.node_id)
        parts = [_merge_all(e) for e in self.elements]
        if isinstance(node, Tree.Scatter):
            return _gather_scatter(node, parts)
        return _gather_conditional(node, parts[0])


class ConditionalJob(WDLJob):
    """Plans the body of a conditional whose condition held."""

    def __init__(self, doc: DocRef, wf_path: WorkflowPath, node_id: str, env: Frag, nested: Frag) -> None:
        super().__init__(doc, wf_path, node_id)
        self.node_id = node_id
        self.env = env
        self.nested = nested

    def run(self, fileStore: Any) -> Promise:
        node = find_node(self.workflow(), self.node_id)
        parts = plan_section(self, self.doc, self.wf_path, list(node.body), self.env, self.nested)
        gather = GatherJob(self.doc, self.wf_path, self.node_id, [parts])
        self.addFollowOn(gather)
        return gather.rv()


class LoneTaskJob(WDLJob):
    """A document with a single task and no workflow: that task is the root."""

    def __init__(self, doc: DocRef, task_name: str, inputs: Frag) -> None:
        super().__init__(doc, (), task_name + ".inputs")
        self.task_name = task_name
        self.inputs = inputs

    def run(self, fileStore: Any) -> Promise:
        task, _ = self.doc.task((), "task:" + self.task_name)
        resources, _ = call_resources(task, bindings(self.inputs), fileStore, fileStore.getLocalTempDir(),
                                      self.doc.source_dir, self.doc.limits)
        child = TaskJob(self.doc, (), "task:" + self.task_name, self.inputs, resources, self.task_name)
        self.addChild(child)
        return child.rv()
