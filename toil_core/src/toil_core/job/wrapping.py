"""Jobs made from plain functions, jobs whose requirements are promised, and encapsulation."""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Optional, Tuple, Type

from toil_core.job.job import Job
from toil_core.job.promise import Promise, PromisedRequirement

#: Keyword arguments that set the wrapping job's requirements instead of reaching the function.
RESERVED_KWARGS = ("memory", "cores", "disk", "accelerators", "preemptible", "preemptable", "checkpoint", "name")
_RESERVED = frozenset(RESERVED_KWARGS)


def _function_defaults(fn: Callable[..., Any]) -> Dict[str, Any]:
    """The keyword defaults of ``fn`` that name requirements (see :data:`RESERVED_KWARGS`)."""
    code = getattr(fn, "__code__", None)
    if code is not None and not _RESERVED.intersection(
            code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]):
        return {}  # the common case, without inspect.signature's cost
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return {}
    return {
        name: param.default
        for name, param in signature.parameters.items()
        if param.default is not inspect.Parameter.empty
    }


def _split_requirements(fn: Callable[..., Any], kwargs: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Requirements from explicit kwargs, else the function's keyword defaults.

    Reserved names are always removed from ``kwargs`` so they never reach the function. An
    explicit value (in either spelling of preemptible) beats any keyword default.
    """
    defaults = _function_defaults(fn)
    explicit: Dict[str, Any] = {key: kwargs.pop(key) for key in RESERVED_KWARGS if key in kwargs}
    from_defaults: Dict[str, Any] = {key: defaults[key] for key in RESERVED_KWARGS if key in defaults}
    for source in (explicit, from_defaults):
        if "preemptable" in source:
            legacy = source.pop("preemptable")
            source.setdefault("preemptible", legacy)
    requirements = dict(from_defaults)
    requirements.update(explicit)
    return requirements, kwargs


def wrap_function(fn: Callable[..., Any], args: Tuple[Any, ...], kwargs: Dict[str, Any], pass_job: bool) -> Job:
    kwargs = dict(kwargs)
    probe: Dict[str, Any] = {key: kwargs.get(key) for key in ("memory", "cores", "disk") if key in kwargs}
    cls: Callable[..., Job]
    if PromisedRequirement.convertPromises(probe):
        kwargs.update(probe)
        cls = PromisedRequirementJobFunctionWrappingJob if pass_job else PromisedRequirementFunctionWrappingJob
    else:
        cls = JobFunctionWrappingJob if pass_job else FunctionWrappingJob
    return cls(fn, *args, **kwargs)


class FunctionWrappingJob(Job):
    """Runs ``userFunction(*args, **kwargs)``; its return value is the job's value."""

    def __init__(self, userFunction: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        if not callable(userFunction):
            raise TypeError(f"Cannot make a job of {userFunction!r}: it is not a function. Pass the "
                            f"function itself (Job.wrapJobFn(my_function, ...)), not its name or "
                            f"its result.")
        self.userFunction = userFunction
        self.userFunctionName = getattr(userFunction, "__name__", repr(userFunction))
        self.userFunctionModule = getattr(userFunction, "__module__", None)
        requirements, kwargs = _split_requirements(userFunction, dict(kwargs))
        super().__init__(
            memory=requirements.get("memory"),
            cores=requirements.get("cores"),
            disk=requirements.get("disk"),
            accelerators=requirements.get("accelerators"),
            preemptible=requirements.get("preemptible"),
            checkpoint=bool(requirements.get("checkpoint", False)),
            unitName=requirements.get("name") or "",
        )
        self._args = args
        self._kwargs = kwargs
        self.userModule = self.userFunctionModule or self.userModule

    def _job_name(self) -> str:
        return self.userFunctionName

    def _call(self, leading: Tuple[Any, ...]) -> Any:
        return self.userFunction(*(leading + tuple(self._args)), **self._kwargs)

    def run(self, fileStore: Any) -> Any:
        return self._call(())


class JobFunctionWrappingJob(FunctionWrappingJob):
    """Runs ``userFunction(job, *args, **kwargs)`` so the function can add jobs and use files."""

    def run(self, fileStore: Any) -> Any:
        return self._call((self,))


class _PromisedRequirementMixin:
    """Evaluates promised requirements, then runs the real job as a child and forwards its value."""

    _wrapped_class: Type[FunctionWrappingJob] = FunctionWrappingJob
    #: Set by Job.__init__ (the job class this mixin is combined with).
    userModule: str

    def __init__(self, userFunction: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._promised_requirements = {
            key: kwargs.pop(key)
            for key in ("memory", "cores", "disk")
            if isinstance(kwargs.get(key), (PromisedRequirement, Promise))
        }
        self._user_call = (userFunction, args, dict(kwargs))
        self.userFunction = userFunction
        self.userFunctionName = getattr(userFunction, "__name__", repr(userFunction))
        self.userFunctionModule = getattr(userFunction, "__module__", None)
        # The intermediate job itself is small.
        Job.__init__(self, disk="1M", memory="32M", cores=0.1)  # type: ignore[arg-type]
        self.userModule = self.userFunctionModule or self.userModule
        self._description.jobName = self.userFunctionName  # type: ignore[attr-defined]
        self._description.displayName = self.userFunctionName  # type: ignore[attr-defined]

    def run(self, fileStore: Any) -> Any:
        fn, args, kwargs = self._user_call
        resolved = dict(kwargs)
        for key, requirement in self._promised_requirements.items():
            value = requirement.getValue() if isinstance(requirement, PromisedRequirement) else requirement
            resolved[key] = value
        real = self._wrapped_class(fn, *args, **resolved)
        self.addChild(real)  # type: ignore[attr-defined]
        return real.rv()


class PromisedRequirementFunctionWrappingJob(_PromisedRequirementMixin, FunctionWrappingJob):
    _wrapped_class = FunctionWrappingJob


class PromisedRequirementJobFunctionWrappingJob(_PromisedRequirementMixin, JobFunctionWrappingJob):
    _wrapped_class = JobFunctionWrappingJob


class EncapsulatedJob(Job):
    """Makes a job and all its successors look like one job: successors added to the
    encapsulated job run after the whole wrapped subgraph, and ``rv()`` is the wrapped job's."""

    def __init__(self, job: Optional[Job], unitName: Optional[str] = None) -> None:
        if job is None:  # pragma: no cover - only used by unpickling paths
            super().__init__()
            return
        super().__init__(
            memory=job._memory,
            cores=job._cores,
            disk=job._disk,
            accelerators=job._accelerators,
            preemptible=job._preemptible,
            unitName=unitName,
        )
        self._description.jobName = f"{job.jobName}"
        self._description.displayName = f"Encapsulated{job.displayName}"
        # Take over the wrapped job's current predecessors.
        for predecessor in list(job._directPredecessors):
            for edges in (predecessor._children, predecessor._followOns):
                for index, existing in enumerate(edges):
                    if existing is job:
                        edges[index] = self
            self._directPredecessors.append(predecessor)
        job._directPredecessors = []
        Job.addChild(self, job)
        self.encapsulatedJob = job
        self.encapsulatedFollowOn = Job(disk="100M", memory="512M", cores=0.1)
        Job.addFollowOn(self, self.encapsulatedFollowOn)

    def __getstate__(self) -> Dict[str, Any]:
        state = super().__getstate__()
        state.pop("encapsulatedJob", None)
        state.pop("encapsulatedFollowOn", None)
        return state

    def addChild(self, childJob: Job) -> Job:
        return self.encapsulatedFollowOn.addChild(childJob)

    def addFollowOn(self, followOnJob: Job) -> Job:
        return self.encapsulatedFollowOn.addFollowOn(followOnJob)

    def addService(self, service: Job.Service, parentService: Optional[Job.Service] = None) -> Promise:
        return self.encapsulatedFollowOn.addService(service, parentService=parentService)

    def rv(self, *path: Any) -> Promise:
        return self.encapsulatedJob.rv(*path)

    def run(self, fileStore: Any) -> Any:
        return None


#: The manual's names for the wrapping classes (``Job.wrapFn`` "creates the instance of the
#: FunctionWrappingTarget that wraps the function"): the same classes under those names.
FunctionWrappingTarget = FunctionWrappingJob
JobFunctionWrappingTarget = JobFunctionWrappingJob
