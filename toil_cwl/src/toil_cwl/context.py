"""What every CWL job of a run shares: the loaded CWL processes and the runtime settings.

The leader pickles one :class:`WorkflowContext` into the job store; jobs hold a
:class:`ContextRef` (the file's ID) and a *path* naming their process (the workflow step IDs
leading to it from the top-level process), so job bodies stay small however big the workflow
is. A worker loads each context once and keeps it for the jobs it runs.
"""
from __future__ import annotations

import argparse
import functools
import os
import pickle
import tempfile
import threading
from typing import Any, Dict, List, Optional, Tuple

from cwltool.context import RuntimeContext
from cwltool.mutation import MutationManager
from cwltool.secrets import SecretStore
from cwltool.utils import aslist
from cwltool.workflow_job import expression as cwl_expression

from toil_cwl.fsaccess import Materializer, ToilFsAccess, ToilPathMapper
from toil_cwl.inplace import Redirects
from toil_cwl.staging import walk_processes

__all__ = ["ContextRef", "Path", "WorkflowContext", "redirects_of", "static_resources", "write_context"]

#: Step IDs from the top-level process down to a step (or to the process a step runs).
Path = Tuple[str, ...]

_LOADED: Dict[str, "WorkflowContext"] = {}
_REAL_TEMP: Dict[str, str] = {}  # the running job's temporary directory -> its real path


class WorkflowContext:
    """The top-level cwltool Process object (loader stripped) plus the run's settings."""

    def __init__(self, process: Any, settings: Dict[str, Any]) -> None:
        self.process = process
        self.settings = settings
        self._steps: Dict[Path, Any] = {}
        self._params: Dict[Path, Dict[str, Any]] = {}

    def __getstate__(self) -> Dict[str, Any]:
        return {"process": self.process, "settings": self.settings}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__init__(state["process"], state["settings"])  # type: ignore[misc]

    # ---------------------------------------------------------------- navigation
    def step(self, path: Path) -> Any:
        """The WorkflowStep object at ``path`` (non-empty)."""
        if path not in self._steps:
            parent = self.process_at(path[:-1])
            matches = [s for s in getattr(parent, "steps", []) if s.id == path[-1]]
            if not matches:
                raise KeyError(f"no step {path[-1]!r} in {getattr(parent, 'tool', {}).get('id')}")
            self._steps[path] = matches[0]
        return self._steps[path]

    def process_at(self, path: Path) -> Any:
        """The Process run at ``path``: the top-level process, or the tool a step runs."""
        return self.process if not path else self.step(path).embedded_tool

    def source_params(self, workflow_path: Path) -> Dict[str, Any]:
        """Parameter dicts by ID of a workflow's inputs and of its steps' outputs."""
        if workflow_path not in self._params:
            workflow = self.process_at(workflow_path)
            params = {p["id"]: p for p in workflow.tool["inputs"]}
            for step in workflow.steps:
                params.update({p["id"]: p for p in step.tool["outputs"]})
            self._params[workflow_path] = params
        return self._params[workflow_path]

    # ---------------------------------------------------------------- running
    def runtime_context(self, job: Any) -> RuntimeContext:
        """A cwltool RuntimeContext for running part of the workflow inside ``job``."""
        settings = self.settings
        temp = _REAL_TEMP.get(job.tempDir)
        if temp is None:
            _REAL_TEMP.clear()  # one entry: the job running now
            temp = _REAL_TEMP[job.tempDir] = os.path.realpath(job.tempDir)
        materializer = Materializer(job.fileStore, os.path.join(temp, "inputs"), redirects_of(job, self))
        if not (settings.get("tmpdir_prefix") and settings.get("tmp_outdir_prefix")):
            materializer.real_dirs.add(temp)  # the tools' directories are made right in it
        rc = RuntimeContext(dict(settings["runtime"]))
        rc.toil_materializer = materializer  # type: ignore[attr-defined]
        rc.basedir = settings["basedir"]
        # cwltool types these as classes but only calls them: factories with the materializer bound.
        rc.make_fs_access = functools.partial(ToilFsAccess, materializer=materializer)  # type: ignore[assignment]
        rc.path_mapper = functools.partial(ToilPathMapper, materializer=materializer)  # type: ignore[assignment]
        rc.tmpdir_prefix = settings.get("tmpdir_prefix") or os.path.join(temp, "tmp")
        rc.tmp_outdir_prefix = settings.get("tmp_outdir_prefix") or os.path.join(temp, "out")
        rc.outdir = None
        rc.tmpdir = ""
        rc.stagedir = ""
        rc.toplevel = False
        rc.move_outputs = "leave"
        rc.rm_tmpdir = True
        rc.secret_store = SecretStore()
        rc.mutation_manager = MutationManager()
        rc.workflow_eval_lock = threading.Condition(threading.RLock())
        if settings.get("beta_dependency_resolvers_configuration") or settings.get("beta_conda_dependencies"):
            from cwltool.software_requirements import DependenciesConfiguration

            rc.job_script_provider = DependenciesConfiguration(argparse.Namespace(**{
                key: settings.get(key) for key in (
                    "beta_dependency_resolvers_configuration", "beta_dependencies_directory",
                    "beta_conda_dependencies")}))
        else:
            rc.find_default_container = functools.partial(
                _default_container,
                default_container=settings["runtime"].get("default_container"),
                use_biocontainers=settings.get("beta_use_biocontainers"),
                container_image_cache_path=settings.get("beta_dependencies_directory"))
        if settings.get("mpi_config_file"):
            from cwltool.mpi import MpiConfig

            rc.mpi_config = MpiConfig.load(settings["mpi_config_file"])
        return rc

    def container_engine(self) -> str:
        runtime = self.settings["runtime"]
        if runtime.get("podman"):
            return "podman"
        return "singularity" if runtime.get("singularity") else "docker"

    def clamp(self, resources: Dict[str, Any]) -> Dict[str, Any]:
        """Limit a job's request to what the batch system can give (a CWL minimum that cannot be
        met would otherwise stop the workflow)."""
        limits = self.settings.get("limits") or {}
        out = dict(resources)
        for key in ("cores", "memory", "disk"):
            limit = limits.get(key)
            if limit and out.get(key) is not None and out[key] > limit:
                out[key] = limit
        return out


def redirects_of(job: Any, context: WorkflowContext) -> Optional[Redirects]:
    """The in-place updates seen by ``job`` (one view per job attempt, so that what the attempt
    recorded itself is seen by the rest of it); None in runs without InplaceUpdateRequirement."""
    if not context.settings.get("inplace_update"):
        return None
    redirects = getattr(job, "_toil_cwl_redirects", None)
    if redirects is None:
        redirects = Redirects(job.fileStore.jobStore, job.jobStoreID)
        job._toil_cwl_redirects = redirects
    return redirects


def _default_container(builder: Any, default_container: Optional[str] = None,
                       use_biocontainers: Optional[bool] = None,
                       container_image_cache_path: Optional[str] = None) -> Optional[str]:
    """The container of a tool without DockerRequirement: ``--default-container``, else (with
    ``--beta-use-biocontainers``) one matching its SoftwareRequirement.

    cwltool has this function in ``cwltool.main``, whose import (argparse set-up, rich, pydot...)
    costs a CWL job about half a second; a job must not pay that for a default that is rarely set.
    """
    if not default_container and use_biocontainers:
        from cwltool.software_requirements import get_container_from_software_requirements

        default_container = get_container_from_software_requirements(
            use_biocontainers, builder, container_image_cache_path)
    return default_container


class ContextRef:
    """A picklable handle on the stored :class:`WorkflowContext`."""

    def __init__(self, file_id: Any) -> None:
        self.file_id = file_id

    def load(self, file_store: Any) -> WorkflowContext:
        key = str(self.file_id)
        context = _LOADED.get(key)
        if context is None:
            with file_store.readGlobalFileStream(self.file_id) as stream:
                context = pickle.loads(stream.read())
            _LOADED[key] = context
        return context


def _strip_loaders(process: Any) -> None:
    """Drop what cwltool only needs while loading (the schema-salad loader and schema): it is
    large, and jobs never use it."""
    for proc in walk_processes(process):
        for attribute in ("doc_loader", "doc_schema"):
            if hasattr(proc, attribute):
                setattr(proc, attribute, None)


def write_context(context: WorkflowContext, import_fn: Any) -> ContextRef:
    """Pickle ``context`` into the job store (through ``import_fn(url) -> FileID``)."""
    _strip_loaders(context.process)
    handle, path = tempfile.mkstemp(prefix="toil-cwl-context-", suffix=".pickle")
    try:
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(context, stream, protocol=pickle.HIGHEST_PROTOCOL)
        file_id = import_fn("file://" + path)
    finally:
        os.unlink(path)
    _LOADED[str(file_id)] = context
    return ContextRef(file_id)


# ---------------------------------------------------------------------------------------------
# Resources
# ---------------------------------------------------------------------------------------------

class _NoExpressions:
    """Stands in for a cwltool Builder where requirements hold no expressions."""

    cwlVersion = "v1.2"

    def do_eval(self, ex: Any, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - never called
        raise RuntimeError("expression in a static requirement")


def static_resources(process: Any) -> Optional[Dict[str, Any]]:
    """Toil requirements (cores, memory, disk) of a CommandLineTool/ExpressionTool whose
    ResourceRequirement holds no expressions; None when they depend on the inputs."""
    requirement, _ = process.get_requirement("ResourceRequirement")
    cuda, _ = process.get_requirement("http://commonwl.org/cwltool#CUDARequirement")
    for req in (requirement, cuda):
        for value in (req or {}).values():
            if isinstance(value, str) and cwl_expression.needs_parsing(value):
                return None
    request = process.evalResources(_NoExpressions(), RuntimeContext())
    return toil_resources(request)


def toil_resources(request: Dict[str, Any]) -> Dict[str, Any]:
    """cwltool's evaluated request (``cores``, ``ram`` MiB, ``tmpdirSize``/``outdirSize`` MiB)
    as Toil job requirements."""
    mib = 1 << 20
    resources: Dict[str, Any] = {
        "cores": max(float(request.get("cores") or 1), 0.01),
        "memory": int(max(float(request.get("ram") or 1), 1) * mib),
        "disk": int((float(request.get("tmpdirSize") or 0) + float(request.get("outdirSize") or 0)) * mib)
        or mib,
    }
    gpus = request.get("cudaDeviceCount")
    if gpus:
        resources["accelerators"] = [{"kind": "gpu", "count": int(gpus), "api": "cuda"}]
    return resources


def scatter_keys(step: Any) -> List[str]:
    return list(aslist(step.tool.get("scatter", [])))
