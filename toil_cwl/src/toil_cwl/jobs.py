"""The Toil jobs a CWL run is made of.

Every CWL step becomes a job; a workflow job expands its steps into the Toil graph when it runs:

* :class:`CWLWorkflow` (internal) adds one :class:`CWLStep` per step, as a child of the jobs
  producing the step's sources (or of itself), and a :class:`CWLOutputs` follow-on collecting
  the workflow's outputs. Its promised value is that of the outputs job.
* :class:`CWLStep` merges its sources, then either runs its tool right there (a
  CommandLineTool or ExpressionTool with fixed resources, not scattered: the job was given the
  tool's resources) or, for scatters, sub-workflows and resources computed from the inputs,
  adds child jobs and returns promises of their outputs. Such a step gets a
  :class:`CWLCollect` follow-on (gathering scatter outputs) that downstream steps hang from.
* :class:`CWLJob` runs one CommandLineTool/ExpressionTool with cwltool inside the job;
  :class:`CWLResources` first evaluates dynamic ResourceRequirements.

Inputs flow as Toil promises of upstream outputs, resolved when a job's body is loaded; files
as ``toilfile:``/``toildir:`` URIs (see :mod:`toil_cwl.locations`).
"""
from __future__ import annotations

import logging
import os
from typing import Any, Dict, List, Optional, Tuple

from cwltool.errors import WorkflowException
from cwltool.process import shortname
from cwltool.workflow import Workflow

from toil.job import Job
from toil_core.plugin_api import ToilError
from toil_cwl.chains import chain_resources, plan_chains, source_ids, step_sources
from toil_cwl.context import ContextRef, Path, WorkflowContext, redirects_of, static_resources, toil_resources
from toil_cwl.fsaccess import Uploader, upload_outputs
from toil_cwl.inplace import resolve_values, updates_in_place, write_back
from toil_cwl.steps import (
    Gathered,
    gather,
    map_nested,
    nesting_depth,
    post_scatter_eval,
    scatter_elements,
    skipped_outputs,
    step_inputs,
    tool_inputs,
    workflow_outputs,
)

logger = logging.getLogger(__name__)

__all__ = ["CWLBatch", "CWLChainBatch", "CWLChainCollect", "CWLChainStep", "CWLCollect", "CWLJob", "CWLOutputs", "CWLResources", "CWLStep", "CWLWorkflow", "root_job"]

#: Requirements of the jobs that only move data or expand the graph.
INTERNAL: Dict[str, Any] = {"cores": 0.1, "memory": 256 * 1024 * 1024, "disk": 16 * 1024 * 1024}


def _names(process: Any, step_id: Optional[str] = None) -> Dict[str, str]:
    tool_id = str(process.tool.get("id", "cwl"))
    document = os.path.basename(tool_id.split("#")[0]) or "cwl"
    unit = document if step_id is None else f"{document}#{shortname(step_id)}"
    if step_id is None and "#" in tool_id:
        unit = f"{document}#{tool_id.split('#', 1)[1]}"
    return {"unitName": unit, "displayName": tool_id}


def _log_once(settings: Dict[str, Any]) -> None:
    """cwltool's logger has its own stderr handler; in a worker the root logger has one too, so
    every cwltool line would be printed twice. Keep cwltool's (its lines read as cwltool's).

    The level chosen on the leader's command line (``--quiet``, ``--debug``) applies here too:
    importing cwltool sets its logger to INFO, and two INFO lines per tool run (the command line,
    the completion) are a few per cent of a short tool's cost that ``--quiet`` asks not to pay.
    """
    cwl_logger = logging.getLogger("cwltool")
    if cwl_logger.handlers:
        cwl_logger.propagate = False
    level = settings.get("cwl_log_level")
    if level is not None and cwl_logger.level != level:
        cwl_logger.setLevel(level)


_CWL_LOGGER = logging.getLogger("cwltool")


def _no_monitor(process: Any) -> None:
    """Stands in for cwltool's memory monitor of a running tool."""


class ToolFailed(ToilError, WorkflowException):
    """A CWL tool finished with a status other than success (cwltool logged why just before).

    A ``permanentFail`` is not retried (``toil_retry`` is False: the worker then spends no
    retries on it); a ``temporaryFail`` is, within --retryCount.
    """

    def __init__(self, tool_id: Any, status: Any) -> None:
        super().__init__(f"{tool_id} finished with status {status}")
        self.tool_id = tool_id
        self.status = status
        self.toil_retry = status != "permanentFail"

    def __reduce__(self) -> Any:
        return (type(self), (self.tool_id, self.status))


class CWLBaseJob(Job):
    """Common base: a context reference, a path and a name."""

    def __init__(self, ctx: ContextRef, path: Path, resources: Dict[str, Any], internal: bool,
                 names: Dict[str, str], on_workers: bool = False) -> None:
        job_names: Dict[str, Any] = dict(names)  # unitName/displayName, checked by Job
        super().__init__(local=internal and not on_workers, **resources, **job_names)
        self.ctx = ctx
        self.path = path

    def context(self) -> WorkflowContext:
        return self.ctx.load(self.fileStore)


def _internal(context: WorkflowContext) -> Dict[str, Any]:
    return {"resources": dict(INTERNAL), "internal": True,
            "on_workers": bool(context.settings.get("internal_on_workers"))}


def process_job(context: WorkflowContext, ctx: ContextRef, path: Path, inputs: Dict[str, Any]) -> Job:
    """The job running the process at ``path`` on a concrete input object."""
    process = context.process_at(path)
    step_id = path[-1] if path else None
    if isinstance(process, Workflow):
        return CWLWorkflow(ctx, path, inputs, names=_names(process, step_id), **_internal(context))
    resources = static_resources(process)
    if resources is None:
        return CWLResources(ctx, path, inputs, names=_names(process, step_id), **_internal(context))
    return CWLJob(ctx, path, inputs, resources=context.clamp(resources), internal=False,
                  names=_names(process, step_id))


def run_tool(job: Job, context: WorkflowContext, path: Path, inputs: Dict[str, Any]) -> Dict[str, Any]:
    """Run a CommandLineTool/ExpressionTool with cwltool in this job; store its output files."""
    process = context.process_at(path)
    runtime = context.runtime_context(job)
    results: Dict[str, Any] = {}

    def receive(output: Any, status: str) -> None:
        results["output"], results["status"] = output, status

    _log_once(context.settings)
    # Set on cwltool's RuntimeContext by toil_cwl.context (cwltool does not declare it).
    materializer = runtime.toil_materializer  # type: ignore[attr-defined]
    materializer.inplace = materializer.redirects is not None and updates_in_place(process)
    for cwl_job in process.job(inputs, receive, runtime):
        if cwl_job is not None:
            if not _CWL_LOGGER.isEnabledFor(logging.DEBUG) and hasattr(cwl_job, "process_monitor"):
                # cwltool polls the tool's memory use from a timer thread (psutil) to log its
                # peak: a tenth of a short tool's cost, for a log line of the worker nobody sees.
                cwl_job.process_monitor = _no_monitor
            cwl_job.run(runtime)
    status = results.get("status")
    if status != "success":
        raise ToolFailed(process.tool.get("id"), status)
    output = results.get("output") or {}
    uploader = Uploader(job.fileStore, materializer, nonce=materializer.redirects is not None)
    if materializer.inplace and materializer.redirects is not None:
        write_back(materializer, uploader, materializer.redirects)
    upload_outputs(output, job.fileStore, uploader=uploader)
    return output


class CWLJob(CWLBaseJob):
    """Runs one CommandLineTool or ExpressionTool on an input object."""

    def __init__(self, ctx: ContextRef, path: Path, inputs: Dict[str, Any], resources: Dict[str, Any],
                 internal: bool, names: Dict[str, str], on_workers: bool = False) -> None:
        super().__init__(ctx, path, resources, internal, names, on_workers)
        self.inputs = inputs

    def run(self, fileStore: Any) -> Any:
        return run_tool(self, self.context(), self.path, self.inputs)


class CWLResources(CWLBaseJob):
    """Evaluates a ResourceRequirement that depends on the inputs, then runs the tool in a
    child job with those resources."""

    def __init__(self, ctx: ContextRef, path: Path, inputs: Dict[str, Any], resources: Dict[str, Any],
                 internal: bool, names: Dict[str, str], on_workers: bool = False) -> None:
        super().__init__(ctx, path, resources, internal, names, on_workers)
        self.inputs = inputs
        self.names = names

    def run(self, fileStore: Any) -> Any:
        context = self.context()
        process = context.process_at(self.path)
        runtime = context.runtime_context(self)
        builder = process._init_job(self.inputs, runtime)
        request = process.evalResources(builder, runtime)
        child = CWLJob(self.ctx, self.path, self.inputs, resources=context.clamp(toil_resources(request)),
                       internal=False, names=self.names)
        self.addChild(child)
        return child.rv()


class CWLWorkflow(CWLBaseJob):
    """Expands a Workflow into step jobs (see the module docstring)."""

    def __init__(self, ctx: ContextRef, path: Path, inputs: Dict[str, Any], resources: Dict[str, Any],
                 internal: bool, names: Dict[str, str], on_workers: bool = False) -> None:
        super().__init__(ctx, path, resources, internal, names, on_workers)
        self.inputs = inputs

    def run(self, fileStore: Any) -> Any:
        context = self.context()
        workflow = context.process_at(self.path)
        runtime = context.runtime_context(self)
        # Defaults, validation and loadListing of the workflow's own inputs, as cwltool does.
        job_order = workflow._init_job(self.inputs, runtime).job
        values: Dict[str, Any] = {}  # source ID -> concrete value or promise
        producers: Dict[str, Job] = {}  # source ID -> job whose completion makes it available
        for param in workflow.tool["inputs"]:
            values[param["id"]] = job_order.get(shortname(param["id"]))
        # Units: single steps, and chains of scatters that run element by element (toil_cwl.chains).
        pending: List[List[Any]] = self._units(context, workflow)
        while pending:
            ready = [u for u in pending if all(src in values for src in _unit_sources(u))]
            if not ready and any(len(u) > 1 for u in pending):
                # Chains waiting on each other's values: run their steps one scatter at a time.
                pending = [[step] for unit in pending for step in unit]
                continue
            if not ready:
                missing = sorted({src for u in pending for src in _unit_sources(u) if src not in values})
                raise WorkflowException(f"Workflow {workflow.tool.get('id')} has steps that can never run: "
                                        f"missing sources {missing}")
            for unit in ready:
                pending.remove(unit)
                if len(unit) == 1:
                    self._add_step(context, unit[0], values, producers)
                else:
                    self._add_chain(context, unit, values, producers)
        outputs = CWLOutputs(self.ctx, self.path,
                             {src: values[src] for src in _output_sources(workflow) if src in values},
                             names={"unitName": self.unitName + " outputs", "displayName": self.displayName},
                             **_internal(context))
        self.addFollowOn(outputs)
        return outputs.rv()

    @staticmethod
    def _units(context: WorkflowContext, workflow: Any) -> List[List[Any]]:
        """The workflow's steps grouped into what gets one entry job: chains, then single steps."""
        chains: List[List[Any]] = []
        if context.settings.get("scatter_batch_size", 1) > 1 and not context.settings.get("inplace_update"):
            chains = plan_chains(workflow)
        chained = {step.id for chain in chains for step in chain}
        return chains + [[step] for step in workflow.steps if step.id not in chained]

    def _add_chain(self, context: WorkflowContext, chain: List[Any], values: Dict[str, Any],
                   producers: Dict[str, Job]) -> None:
        """One entry job scattering the chain's root; the chain's elements run in batch jobs under
        it, and a collect follow-on gives every member's output arrays (by full output ID)."""
        sources = {src: values[src] for src in _unit_sources(chain)}
        parents: List[Job] = []
        for src in sources:
            parent = producers.get(src)
            if parent is not None and not any(parent is p for p in parents):
                parents.append(parent)
        root_names = _names(chain[0].embedded_tool, chain[0].id)
        names = {"unitName": root_names["unitName"] + "".join("+" + shortname(s.id) for s in chain[1:]),
                 "displayName": root_names["displayName"]}
        entry = CWLChainStep(self.ctx, self.path, tuple(s.id for s in chain), sources, names=names,
                             **_internal(context))
        for parent in parents or [self]:
            parent.addChild(entry)
        exit_job = CWLChainCollect(entry.rv(), names={"unitName": names["unitName"] + " collect",
                                                      "displayName": names["displayName"]},
                                   local=not context.settings.get("internal_on_workers"))
        entry.addFollowOn(exit_job)
        for step in chain:
            for out in step.tool["outputs"]:
                values[out["id"]] = exit_job.rv(out["id"])
                producers[out["id"]] = exit_job

    def _add_step(self, context: WorkflowContext, step: Any, values: Dict[str, Any],
                  producers: Dict[str, Job]) -> None:
        path = self.path + (step.id,)
        sources = {src: values[src] for src in _sources(step)}
        parents: List[Job] = []
        for src in _sources(step):
            parent = producers.get(src)
            if parent is not None and not any(parent is p for p in parents):
                parents.append(parent)
        process = step.embedded_tool
        resources = None
        if "scatter" not in step.tool and not isinstance(process, Workflow):
            resources = static_resources(process)
        names = _names(process, step.id)
        if resources is not None:
            entry: Job = CWLStep(self.ctx, path, sources, inline=True, resources=context.clamp(resources),
                                 internal=False, names=names)
        else:
            entry = CWLStep(self.ctx, path, sources, inline=False, names=names, **_internal(context))
        for parent in parents or [self]:
            parent.addChild(entry)
        exit_job = entry
        if resources is None:
            exit_job = CWLCollect(entry.rv(), [shortname(o["id"]) for o in step.tool["outputs"]],
                                  names={"unitName": names["unitName"] + " collect",
                                         "displayName": names["displayName"]},
                                  local=not context.settings.get("internal_on_workers"))
            entry.addFollowOn(exit_job)
        for out in step.tool["outputs"]:
            values[out["id"]] = exit_job.rv(shortname(out["id"]))
            producers[out["id"]] = exit_job


_sources = step_sources


def _unit_sources(unit: List[Any]) -> List[str]:
    """The sources a unit of steps reads from outside itself."""
    own = {out["id"] for step in unit for out in step.tool["outputs"]}
    found: List[str] = []
    for step in unit:
        found.extend(src for src in _sources(step) if src not in own and src not in found)
    return found


def _output_sources(workflow: Any) -> List[str]:
    return source_ids(workflow.tool["outputs"], "outputSource")


class CWLStep(CWLBaseJob):
    """One workflow step: merge sources, scatter, evaluate valueFrom/when, run or delegate."""

    def __init__(self, ctx: ContextRef, path: Path, sources: Dict[str, Any], inline: bool,
                 resources: Dict[str, Any], internal: bool, names: Dict[str, str],
                 on_workers: bool = False) -> None:
        super().__init__(ctx, path, resources, internal, names, on_workers)
        self.sources = sources
        self.inline = inline

    def run(self, fileStore: Any) -> Any:
        context = self.context()
        step = context.step(self.path)
        workflow = context.process_at(self.path[:-1])
        inputs = step_inputs(step, workflow, self.sources, context.source_params(self.path[:-1]))
        runtime = context.runtime_context(self)
        fs_access = runtime.make_fs_access(runtime.basedir)
        engine = context.container_engine()

        def one(io: Dict[str, Any]) -> Any:
            evaluated = post_scatter_eval(step, workflow, io, fs_access, runtime, engine)
            if evaluated is None:
                return skipped_outputs(step)
            child_inputs = tool_inputs(step, evaluated)
            if self.inline:
                return self._step_outputs(step, run_tool(self, context, self.path, child_inputs))
            child = process_job(context, self.ctx, self.path, child_inputs)
            self.addChild(child)
            return child.rv()

        if "scatter" not in step.tool:
            return one(inputs)
        depth = nesting_depth(step)
        elements = scatter_elements(step, inputs)
        names = [shortname(o["id"]) for o in step.tool["outputs"]]
        resources = None if self.inline else batchable_resources(context, self.path)
        if resources is None:
            return Gathered(map_nested(elements, depth, one), names, depth)
        pending: List[Dict[str, Any]] = []

        def queue(io: Dict[str, Any]) -> Any:
            evaluated = post_scatter_eval(step, workflow, io, fs_access, runtime, engine)
            if evaluated is None:
                return skipped_outputs(step)
            pending.append(tool_inputs(step, evaluated))
            return _Slot(len(pending) - 1)

        results = map_nested(elements, depth, queue)
        size = batch_size(len(pending), resources, context.settings)
        process = context.process_at(self.path)
        batches: List[Job] = []
        for start in range(0, len(pending), size):
            part = pending[start:start + size]
            job: Job
            if len(part) == 1:
                job = CWLJob(self.ctx, self.path, part[0], resources=resources, internal=False,
                             names=_names(process, self.path[-1]))
            else:
                job = CWLBatch(self.ctx, self.path, part, resources=resources, internal=False,
                               names=_names(process, self.path[-1]))
            self.addChild(job)
            batches.append(job)

        def promise(value: Any) -> Any:
            if not isinstance(value, _Slot):
                return value
            job = batches[value.index // size]
            return job.rv() if isinstance(job, CWLJob) else job.rv(value.index % size)

        return Gathered(map_nested(results, depth, promise), names, depth)

    @staticmethod
    def _step_outputs(step: Any, outputs: Dict[str, Any]) -> Dict[str, Any]:
        result = skipped_outputs(step)
        result.update({k: v for k, v in outputs.items() if k in result})
        return result


class _Slot:
    """Stands for the output of the n-th pending scatter element until its batch job exists."""

    def __init__(self, index: int) -> None:
        self.index = index


def batchable_resources(context: WorkflowContext, path: Path) -> Optional[Dict[str, Any]]:
    """The (clamped) job requirements of the tool a scattered step runs, when its elements may share
    a job: a CommandLineTool or ExpressionTool with fixed resources; None otherwise."""
    if context.settings.get("scatter_batch_size", 1) <= 1:
        return None
    process = context.process_at(path)
    if isinstance(process, Workflow):
        return None
    resources = static_resources(process)
    return None if resources is None else context.clamp(resources)


def batch_size(count: int, resources: Dict[str, Any], settings: Dict[str, Any]) -> int:
    """Elements per job for a scatter of ``count`` elements of a tool needing ``resources``.

    Enough jobs are kept to fill every job slot the batch system offers (its cores over the tool's)
    four times over, so short and long elements still balance; only the elements beyond that share
    jobs, at most ``scatter_batch_size`` per job. Where the slots are unknown (no limits), the
    slots are taken as the cores count of the limit itself.
    """
    limit = max(1, int(settings.get("scatter_batch_size", 1)))
    cores = float(resources.get("cores") or 1)
    total = float((settings.get("limits") or {}).get("cores") or 1)
    slots = max(1, int(total // max(cores, 0.01)))
    jobs_wanted = 4 * slots
    if count <= jobs_wanted:
        return 1
    return max(1, min(limit, -(-count // jobs_wanted)))


class CWLBatch(CWLBaseJob):
    """Runs one tool on several scatter elements in turn; returns the list of their outputs."""

    def __init__(self, ctx: ContextRef, path: Path, elements: List[Dict[str, Any]], resources: Dict[str, Any],
                 internal: bool, names: Dict[str, str], on_workers: bool = False) -> None:
        super().__init__(ctx, path, resources, internal, names, on_workers)
        self.elements = elements

    def run(self, fileStore: Any) -> Any:
        context = self.context()
        return [run_tool(self, context, self.path, inputs) for inputs in self.elements]


class CWLChainStep(CWLBaseJob):
    """Entry job of a scatter chain (:mod:`toil_cwl.chains`): scatters the chain's root step and
    adds the batch jobs that run every element through the whole chain.

    ``path`` is the workflow's; ``step_ids`` the chain's steps in running order.
    """

    def __init__(self, ctx: ContextRef, path: Path, step_ids: Tuple[str, ...], sources: Dict[str, Any],
                 resources: Dict[str, Any], internal: bool, names: Dict[str, str],
                 on_workers: bool = False) -> None:
        super().__init__(ctx, path, resources, internal, names, on_workers)
        self.step_ids = step_ids
        self.sources = sources

    def run(self, fileStore: Any) -> Any:
        context = self.context()
        workflow = context.process_at(self.path)
        root = context.step(self.path + (self.step_ids[0],))
        own = {src: self.sources[src] for src in _sources(root)}
        inputs = step_inputs(root, workflow, own, context.source_params(self.path))
        runtime = context.runtime_context(self)
        fs_access = runtime.make_fs_access(runtime.basedir)
        engine = context.container_engine()
        firsts: List[Optional[Dict[str, Any]]] = []  # the root's tool inputs; None: skipped
        for io in scatter_elements(root, inputs):
            evaluated = post_scatter_eval(root, workflow, io, fs_access, runtime, engine)
            firsts.append(None if evaluated is None else tool_inputs(root, evaluated))
        steps = [context.step(self.path + (step_id,)) for step_id in self.step_ids]
        resources = context.clamp(chain_resources([static_resources(s.embedded_tool) or {} for s in steps]))
        later = {src: value for src, value in self.sources.items()
                 if any(src in _sources(s) for s in steps[1:])}
        size = batch_size(len(firsts), resources, context.settings)
        batches = []
        for start in range(0, len(firsts), size):
            job = CWLChainBatch(self.ctx, self.path, self.step_ids, firsts[start:start + size], later,
                                resources=resources, internal=False,
                                names={"unitName": self.unitName, "displayName": self.displayName})
            self.addChild(job)
            batches.append(job.rv())
        outputs = {s.id: [o["id"] for o in s.tool["outputs"]] for s in steps}
        return {"batches": batches, "outputs": outputs}


class CWLChainBatch(CWLBaseJob):
    """Runs elements of a scatter chain, each through every step of the chain in turn; returns
    per element the outputs of each step (by step ID, then short output name)."""

    def __init__(self, ctx: ContextRef, path: Path, step_ids: Tuple[str, ...],
                 firsts: List[Optional[Dict[str, Any]]], sources: Dict[str, Any], resources: Dict[str, Any],
                 internal: bool, names: Dict[str, str], on_workers: bool = False) -> None:
        super().__init__(ctx, path, resources, internal, names, on_workers)
        self.step_ids = step_ids
        self.firsts = firsts
        self.sources = sources

    def run(self, fileStore: Any) -> Any:
        context = self.context()
        workflow = context.process_at(self.path)
        params = context.source_params(self.path)
        runtime = context.runtime_context(self)
        fs_access = runtime.make_fs_access(runtime.basedir)
        engine = context.container_engine()
        paths = [self.path + (step_id,) for step_id in self.step_ids]
        steps = [context.step(path) for path in paths]
        results = []
        for first in self.firsts:
            element: Dict[str, Any] = {}
            produced: Dict[str, Any] = {}  # output ID -> this element's value
            for index, (path, step) in enumerate(zip(paths, steps)):
                if index == 0:
                    tool_in = first
                else:
                    # The element's own values as one-element arrays: the step's scatter then gives
                    # exactly this element, with every merge rule of the step applied as usual.
                    own = {src: [produced[src]] if src in produced else self.sources[src]
                           for src in _sources(step)}
                    single = scatter_elements(step, step_inputs(step, workflow, own, params))
                    evaluated = post_scatter_eval(step, workflow, single[0], fs_access, runtime, engine)
                    tool_in = None if evaluated is None else tool_inputs(step, evaluated)
                if tool_in is None:
                    outputs = skipped_outputs(step)
                else:
                    outputs = CWLStep._step_outputs(step, run_tool(self, context, path, tool_in))
                element[step.id] = outputs
                for out in step.tool["outputs"]:
                    produced[out["id"]] = outputs.get(shortname(out["id"]))
            results.append(element)
        return results


class CWLChainCollect(Job):
    """Follow-on of a chain's entry job: the output arrays of every step of the chain, by full
    output ID, once every batch has finished."""

    def __init__(self, value: Any, names: Dict[str, str], local: bool = True) -> None:
        job_names: Dict[str, Any] = dict(names)  # unitName/displayName, checked by Job
        super().__init__(local=local, **INTERNAL, **job_names)
        self.value = value

    def run(self, fileStore: Any) -> Any:
        elements = [element for batch in self.value["batches"] for element in batch]
        return {out_id: [element[step_id].get(shortname(out_id)) for element in elements]
                for step_id, out_ids in self.value["outputs"].items() for out_id in out_ids}


class CWLCollect(Job):
    """Follow-on of a delegating step: its value once every job under the step has finished
    (gathered into arrays for a scatter)."""

    def __init__(self, value: Any, output_names: List[str], names: Dict[str, str],
                 local: bool = True) -> None:
        job_names: Dict[str, Any] = dict(names)  # unitName/displayName, checked by Job
        super().__init__(local=local, **INTERNAL, **job_names)
        self.value = value
        self.output_names = output_names

    def run(self, fileStore: Any) -> Any:
        value = gather(self.value) if isinstance(self.value, Gathered) else dict(self.value or {})
        return {name: value.get(name) for name in self.output_names}


class CWLOutputs(CWLBaseJob):
    """Follow-on of a workflow job: the workflow's output object."""

    def __init__(self, ctx: ContextRef, path: Path, sources: Dict[str, Any], resources: Dict[str, Any],
                 internal: bool, names: Dict[str, str], on_workers: bool = False) -> None:
        super().__init__(ctx, path, resources, internal, names, on_workers)
        self.sources = sources

    def run(self, fileStore: Any) -> Any:
        context = self.context()
        workflow = context.process_at(self.path)
        values = {src: (gather(v) if isinstance(v, Gathered) else v) for src, v in self.sources.items()}
        outputs = workflow_outputs(workflow, values, context.source_params(self.path))
        redirects = redirects_of(self, context)
        if redirects is not None:
            # Values produced before a later step updated them in place: give their newest content.
            resolve_values(outputs, redirects)
        return outputs


def root_job(context: WorkflowContext, ctx: ContextRef, inputs: Dict[str, Any]) -> Job:
    """The job running the top-level process on the (imported) input object."""
    return process_job(context, ctx, (), inputs)
