"""The Job class users subclass or wrap functions in, and Job.Service.

A Job in memory knows its successors as Job objects; once saved, the graph lives in the
JobDescriptions in the job store and the Job object (the "body") is pickled without its links.
"""
from __future__ import annotations

import logging
import os
import uuid
from typing import Any, Callable, Dict, List, Optional, Set

from toil_core.job import graph
from toil_core.job.description import (
    SERVICE,
    CheckpointJobDescription,
    JobDescription,
    ServiceJobDescription,
)
from toil_core.job.errors import ConflictingPredecessorError, JobException
from toil_core.job.promise import Promise
from toil_core.job.requirements import Requirer, parse_preemptible

logger = logging.getLogger(__name__)

# Attributes that describe the in-memory graph or the running context; never pickled.
_TRANSIENT = (
    "_children",
    "_followOns",
    "_services",
    "_directPredecessors",
    "_fileStore",
    "_description",
    "_defer",
    "_tempDir",
    "_config",
    "_saved",
    "_running",
    "_service_children",
    "_client",
    "_promiseJobStore",
)


class TemporaryID:
    """Placeholder ID of a job that has not been saved to a job store yet."""

    def __init__(self) -> None:
        self._value = uuid.uuid4().hex

    def __str__(self) -> str:
        return f"TemporaryID({self._value})"

    __repr__ = __str__


class Job(Requirer):
    """A unit of work. Override :meth:`run`; its return value is what :meth:`rv` promises."""

    def __init__(
        self,
        memory: Any = None,
        cores: Any = None,
        disk: Any = None,
        accelerators: Any = None,
        preemptible: Any = None,
        preemptable: Any = None,
        unitName: Optional[str] = "",
        checkpoint: bool = False,
        displayName: Optional[str] = "",
        descriptionClass: Optional[type] = None,
        local: Optional[bool] = None,
    ) -> None:
        if preemptible is None and preemptable is not None:
            preemptible = preemptable
        super().__init__(memory, cores, disk, accelerators, preemptible)
        job_name = self._job_name()
        description_class = descriptionClass or (CheckpointJobDescription if checkpoint else JobDescription)
        self._description = description_class(
            jobName=job_name,
            unitName=unitName or "",
            displayName=displayName or job_name,
            checkpoint=bool(checkpoint),
            local=bool(local),
        )
        self._children: List[Job] = []
        self._followOns: List[Job] = []
        self._services: List[ServiceHostJob] = []
        self._directPredecessors: List[Job] = []
        self._fileStore: Any = None
        self._defer: Optional[Callable[..., None]] = None
        self._tempDir: Optional[str] = None
        self._saved = False
        self._running = False
        self._temporary_id = TemporaryID()
        self.userModule = type(self).__module__

    def _job_name(self) -> str:
        return type(self).__name__

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        for name in _TRANSIENT:
            state.pop(name, None)
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._children, self._followOns, self._services = [], [], []
        self._directPredecessors = []
        self._fileStore = self._defer = self._tempDir = self._config = None
        self._description = None  # attached by the loader
        self._saved = True
        self._running = False

    # ------------------------------------------------------------------ identity
    @property
    def description(self) -> JobDescription:
        return self._description

    @property
    def jobStoreID(self) -> Any:
        job_id = self._description.jobStoreID if self._description is not None else None
        return job_id if job_id is not None else self._temporary_id

    @property
    def checkpoint(self) -> bool:
        return self._description.checkpoint

    @property
    def unitName(self) -> str:
        return self._description.unitName

    @property
    def displayName(self) -> str:
        return self._description.displayName

    @property
    def jobName(self) -> str:
        return self._description.jobName

    @property
    def local(self) -> bool:
        return self._description.local

    def __str__(self) -> str:
        unit = f" {self.unitName}" if self.unitName else ""
        return f"'{self.jobName}'{unit} {self.jobStoreID}"

    __repr__ = __str__

    # ------------------------------------------------------------------ running
    def run(self, fileStore: Any) -> Any:
        """Override to do the job's work; the return value is this job's promised value."""
        return None

    @property
    def fileStore(self) -> Any:
        return self._fileStore

    @property
    def tempDir(self) -> str:
        """A temporary directory for this job, the same one on every call; gone after the job."""
        if self._tempDir is None:
            if self._fileStore is None:
                raise RuntimeError("Job.tempDir is only available while the job runs.")
            self._tempDir = self._fileStore.getLocalTempDir()
        return self._tempDir

    def log(self, text: str, level: int = logging.INFO) -> None:
        """Send a message to the leader's log."""
        if self._fileStore is None:
            logger.log(level, text)
        else:
            self._fileStore.logToMaster(text, level)

    def defer(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``function(*args, **kwargs)`` after this attempt of the job ends, however it ends."""
        if self._defer is None:
            raise RuntimeError(
                "A deferred function may only be registered with a job while that job is running."
            )
        self._defer(function, *args, **kwargs)

    def _runner(self, fileStore: Any) -> Any:
        self._fileStore = fileStore
        self._running = True
        try:
            return self.run(fileStore)
        finally:
            self._running = False

    # ------------------------------------------------------------------ graph building
    def _add_predecessor(self, predecessor: "Job") -> None:
        if any(existing is predecessor for existing in self._directPredecessors):
            raise ConflictingPredecessorError(predecessor, self)
        self._directPredecessors.append(predecessor)

    def _check_not_saved(self, other: "Job") -> None:
        if getattr(other, "_saved", False):
            raise JobException(f"Job {other} has already been saved and cannot get new predecessors.")

    def _check_can_grow(self, what: str) -> None:
        """Refuse a successor for a job that was saved and is not the one running now: it has run
        (or is waiting in the job store), so what is added to this copy would never run."""
        if getattr(self, "_saved", False) and not getattr(self, "_running", False) \
                and getattr(self, "_defer", None) is None:
            try:
                label = str(self)
            except Exception:  # a copy unpickled from a job's arguments has no description
                label = repr(self._job_name())
            raise JobException(
                f"Cannot add a {what} to job {label}: it has already been saved to the job store "
                f"(it has run, or the workflow has started), so the {what} would never run. Add "
                f"it to the job that is running now (the 'job' argument of a job function, or "
                f"'self' in Job.run), or to a new job before toil.start().")

    @staticmethod
    def _check_is_job(obj: Any, method: str, fn_method: str, job_fn_method: str) -> None:
        if isinstance(obj, Job):
            return
        if callable(obj):
            raise TypeError(
                f"{method}() takes a Job, not the function {getattr(obj, '__name__', obj)!r}: use "
                f"{job_fn_method}(fn, ...) for a function whose first argument is the job, or "
                f"{fn_method}(fn, ...) for a plain function.")
        raise TypeError(f"{method}() takes a Job, not {type(obj).__name__} {obj!r}.")

    def addChild(self, childJob: "Job") -> "Job":
        """Run ``childJob`` after this job, in parallel with its other children."""
        self._check_is_job(childJob, "addChild", "addChildFn", "addChildJobFn")
        self._check_can_grow("child")
        self._check_not_saved(childJob)
        childJob._add_predecessor(self)
        self._children.append(childJob)
        return childJob

    def addFollowOn(self, followOnJob: "Job") -> "Job":
        """Run ``followOnJob`` after this job and all its children (with their successors)."""
        self._check_is_job(followOnJob, "addFollowOn", "addFollowOnFn", "addFollowOnJobFn")
        self._check_can_grow("follow-on")
        self._check_not_saved(followOnJob)
        followOnJob._add_predecessor(self)
        self._followOns.append(followOnJob)
        return followOnJob

    def addService(self, service: "Job.Service", parentService: Optional["Job.Service"] = None) -> Promise:
        """Start ``service`` before this job's successors and stop it after them.

        Returns a promise of the value ``service.start()`` returns.
        """
        if not isinstance(service, Job.Service):
            raise TypeError(f"addService() takes a Job.Service (a subclass with start() and stop()), "
                            f"not {type(service).__name__} {service!r}.")
        self._check_can_grow("service")
        if service._hostJob is not None:
            raise JobException("Service has already been added to a job. Create a new service object "
                               "for each job that needs one.")
        host = ServiceHostJob(service)
        host._client = self
        if parentService is not None:
            if not self.hasService(parentService):
                raise JobException("Parent service is not a service of the given job. Add the parent "
                                   "service to this job with addService() first.")
            parent_host = parentService._hostJob
            assert parent_host is not None  # hasService: the parent service has a host
            parent_host._service_children.append(host)
        else:
            self._services.append(host)
        service._hostJob = host
        return host.rv()

    def hasChild(self, childJob: "Job") -> bool:
        return any(job is childJob for job in self._children)

    def hasFollowOn(self, followOnJob: "Job") -> bool:
        return any(job is followOnJob for job in self._followOns)

    def hasPredecessor(self, job: "Job") -> bool:
        return any(existing is job for existing in self._directPredecessors)

    def hasService(self, service: "Job.Service") -> bool:
        host = service._hostJob
        return host is not None and any(h is host for h in self._all_service_hosts())

    def _all_service_hosts(self) -> List["ServiceHostJob"]:
        found: List[ServiceHostJob] = []
        stack = list(self._services)
        while stack:
            host = stack.pop()
            found.append(host)
            stack.extend(host._service_children)
        return found

    def addChildFn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> "Job":
        return self.addChild(Job.wrapFn(fn, *args, **kwargs))

    def addFollowOnFn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> "Job":
        return self.addFollowOn(Job.wrapFn(fn, *args, **kwargs))

    def addChildJobFn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> "Job":
        return self.addChild(Job.wrapJobFn(fn, *args, **kwargs))

    def addFollowOnJobFn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> "Job":
        return self.addFollowOn(Job.wrapJobFn(fn, *args, **kwargs))

    @staticmethod
    def wrapFn(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> "Job":
        """A job that calls ``fn(*args, **kwargs)``."""
        from toil_core.job import wrapping  # lazy: wrapping.py subclasses Job, so it imports this module

        return wrapping.wrap_function(fn, args, kwargs, pass_job=False)

    @staticmethod
    def wrapJobFn(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> "Job":
        """A job that calls ``fn(job, *args, **kwargs)``."""
        from toil_core.job import wrapping  # lazy: wrapping.py subclasses Job, so it imports this module

        return wrapping.wrap_function(fn, args, kwargs, pass_job=True)

    def encapsulate(self, name: Optional[str] = None) -> "Job":
        """Wrap this job and its successors so they act as one job to the outside."""
        from toil_core.job.wrapping import EncapsulatedJob  # lazy: wrapping.py subclasses Job

        return EncapsulatedJob(self, unitName=name)

    def rv(self, *path: Any) -> Promise:
        """A promise of this job's return value, indexed by ``path``."""
        return Promise(self, path)

    # ------------------------------------------------------------------ graph checks
    def getRootJobs(self) -> Set["Job"]:
        return graph.root_jobs(self)

    def getTopologicalOrderingOfJobs(self) -> List["Job"]:
        return graph.topological_order(self)

    def checkJobGraphForDeadlocks(self) -> None:
        graph.check_for_deadlocks(self)

    def checkJobGraphConnected(self) -> None:
        graph.check_connected(self)

    def checkJobGraphAcyclic(self) -> None:
        graph.check_acyclic(self)

    checkJobGraphAcylic = checkJobGraphAcyclic

    def checkNewCheckpointsAreLeafVertices(self) -> None:
        graph.check_new_checkpoints_are_leaves(self)

    # ------------------------------------------------------------------ compatibility
    def assignConfig(self, config: Any) -> None:
        self._config = config

    def getUserScript(self) -> Any:
        from toil_core.resource import ModuleDescriptor  # lazy: import-time of toil.job

        return ModuleDescriptor.forModule(self.userModule)

    def prepareForPromiseRegistration(self, jobStore: Any) -> None:
        """Remember the job store that :meth:`registerPromise` allocates promise files in."""
        self._promiseJobStore = jobStore

    def registerPromise(self, path: Any) -> Any:
        """Allocate (once) the file this job's return value is written to; returns (file ID, path)."""
        job_store = getattr(self, "_promiseJobStore", None)
        if job_store is None:
            raise RuntimeError("Call prepareForPromiseRegistration(jobStore) before registering promises.")
        desc = self.description
        if desc.rv_file_id is None:
            desc.rv_file_id = job_store.reserve_return_value_id(desc.jobStoreID)
        return desc.rv_file_id, path

    def saveBody(self, jobStore: Any) -> None:
        """Store just this job's pickled body in ``jobStore`` and record where in its description."""
        # lazy: saving imports the user-module machinery; `import toil.job` stays light
        from toil_core.job.saving import fill_description, write_body

        fill_description(self, jobStore.config)
        if self.description.jobStoreID is None:
            jobStore.assign_job_id(self.description)
        write_body(jobStore, self)

    def saveAsRootJob(self, jobStore: Any) -> JobDescription:
        """Save this job and everything reachable from it, and make it the workflow's root job."""
        # lazy: the commit protocol imports the user-module machinery; `import toil.job` stays light
        from toil_core.job.commit import save_root_job

        self.checkJobGraphForDeadlocks()
        return save_root_job(jobStore, jobStore.config, self, keep_return_value=False)

    @staticmethod
    def loadJob(jobStore: Any, jobDescription: JobDescription) -> "Job":
        from toil_core.job.saving import load_job_body  # lazy: import-time of toil.job

        return load_job_body(jobStore, jobDescription)

    class Runner:
        """Upstream's helpers for building options and starting a workflow."""

        @staticmethod
        def getDefaultArgumentParser(jobstore_as_flag: bool = False) -> Any:
            # lazy: Job.Runner is the one permitted upward edge (the workflow layer)
            from toil_core.workflow.options import get_default_argument_parser

            return get_default_argument_parser(jobstore_as_flag=jobstore_as_flag)

        @staticmethod
        def getDefaultOptions(jobStore: Optional[str] = None, jobstore_as_flag: bool = False) -> Any:
            from toil_core.workflow.options import get_default_options  # lazy: Job.Runner, upward edge

            if jobStore is None and not jobstore_as_flag:
                raise ValueError("getDefaultOptions needs a job store locator.")
            return get_default_options(jobStore, jobstore_as_flag=jobstore_as_flag)

        @staticmethod
        def addToilOptions(parser: Any, jobstore_as_flag: bool = False) -> None:
            from toil_core.workflow.options import add_options  # lazy: Job.Runner, upward edge

            add_options(parser, jobstore_as_flag=jobstore_as_flag)

        @staticmethod
        def startToil(job: "Job", options: Any) -> Any:
            """Deprecated: run the workflow like ``with Toil(options)`` would."""
            from toil_core.workflow.toil import Toil  # lazy: Job.Runner, upward edge

            with Toil(options) as toil:
                if not toil.options.restart:
                    return toil.start(job)
                return toil.restart()

    class Service(Requirer):
        """A long-running process that a job and its successors use; see :meth:`Job.addService`."""

        def __init__(
            self,
            memory: Any = None,
            cores: Any = None,
            disk: Any = None,
            accelerators: Any = None,
            preemptible: Any = None,
            unitName: Optional[str] = None,
        ) -> None:
            super().__init__(memory, cores, disk, accelerators, preemptible)
            self.unitName = unitName or ""
            self._hostJob: Optional[ServiceHostJob] = None

        def __getstate__(self) -> Dict[str, Any]:
            state = dict(self.__dict__)
            state["_hostJob"] = None
            return state

        def start(self, job: "Job") -> Any:
            """Start the service; return what successors need to reach it (picklable)."""
            raise NotImplementedError

        def stop(self, job: "Job") -> None:
            """Stop the service; always called, may block."""
            raise NotImplementedError

        def check(self) -> bool:
            """True while alive, False when finished cleanly; raise to report a failure."""
            return True


class ServiceHostJob(Job):
    """Internal job that runs a Service for its client job and its successors."""

    def __init__(self, service: Job.Service) -> None:
        super().__init__(
            memory=service._memory,
            cores=service._cores,
            disk=service._disk,
            accelerators=service._accelerators,
            preemptible=service._preemptible,
            unitName=service.unitName,
        )
        self.service = service
        self._description.__class__ = ServiceJobDescription  # upstream's variant for service hosts
        self._description.kind = SERVICE
        self._description.jobName = type(service).__name__
        self._description.displayName = type(service).__name__
        self._service_children: List[ServiceHostJob] = []
        self._client: Optional[Job] = None

    def __setstate__(self, state: Dict[str, Any]) -> None:
        super().__setstate__(state)
        self._service_children = []
        self._client = None

    def addChild(self, childJob: Job) -> Job:
        raise RuntimeError("Service host jobs cannot have children, follow-ons, or services")

    def addFollowOn(self, followOnJob: Job) -> Job:
        raise RuntimeError("Service host jobs cannot have children, follow-ons, or services")

    def addService(self, service: Job.Service, parentService: Any = None) -> Promise:
        raise RuntimeError("Service host jobs cannot have children, follow-ons, or services")

    @property
    def fileStore(self) -> Any:
        return self._fileStore

    def run(self, fileStore: Any) -> Any:
        from toil_core.job.service_host import host_service  # lazy: import-time of toil.job

        return host_service(self, fileStore)


def _coerce_bool(value: Any) -> bool:
    parsed = parse_preemptible(value)
    return bool(parsed)


def _environment_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")
