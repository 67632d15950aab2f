"""Turning in-memory jobs into stored JobDescriptions and bodies, and back.

Saving happens in two places: ``Toil.start`` saves the initial graph, and a worker saves the
jobs a running job created. The order keeps every store consistent if the process dies at any
point: bodies and new descriptions are written first, and only the final update of the parent's
description (done by the caller) makes them reachable.
"""
from __future__ import annotations

import base64
import collections
import pickle
from typing import TYPE_CHECKING, Any, Deque, Dict, Iterable, List, Optional, Set, Tuple, cast

from toil_core.job.description import INLINE_BODY, SERVICE
from toil_core.job.errors import JobPromiseConstraintError, UnpicklableJobError
from toil_core.job.promise import dumps_for_store, loads_from_store, read_file_bytes
from toil_core.lib.store_errors import NoSuchFileException

if TYPE_CHECKING:  # job.py imports this module when a job is saved; only its types are needed here
    from toil_core.common.config import Config
    from toil_core.job.job import Job, ServiceHostJob
    from toil_core.jobstores.abstract import AbstractJobStore


#: Bodies up to this many bytes live inside the job description instead of a separate file.
INLINE_BODY_LIMIT = 64 * 1024
#: What pickle raises for objects it cannot pickle (locks, open files, sockets, local functions).
_PICKLING_ERRORS = (pickle.PicklingError, TypeError, AttributeError)


def _dumps_job(job: Job, job_store: AbstractJobStore) -> Tuple[bytes, List[Any]]:
    try:
        return dumps_for_store(job, job_store)
    except UnpicklableJobError:
        raise
    except _PICKLING_ERRORS as err:
        raise UnpicklableJobError(
            f"Job {job} cannot be saved to the job store: its arguments or attributes cannot be "
            f"pickled ({type(err).__name__}: {err}). Pass jobs only values that can be pickled, "
            f"e.g. file IDs from writeGlobalFile or paths instead of open files, locks, sockets "
            f"or functions defined inside other functions.", err) from err


def dumps_return_value(job: Job, value: Any, job_store: AbstractJobStore) -> bytes:
    try:
        return dumps_for_store(value, job_store)[0]
    except UnpicklableJobError:
        raise
    except _PICKLING_ERRORS as err:
        raise UnpicklableJobError(
            f"The return value of job {job} ({type(value).__name__}) cannot be pickled "
            f"({type(err).__name__}: {err}), so the jobs promised it cannot get it. Return only "
            f"values that can be pickled, e.g. write the data with writeGlobalFile and return the "
            f"file ID.", err) from err


def is_service_host(job: Job) -> bool:
    """Whether ``job`` is a ServiceHostJob (the only kind of job whose description says SERVICE)."""
    return job.description.kind == SERVICE


def _as_service_host(job: Job) -> Optional[ServiceHostJob]:
    """``job`` as the ServiceHostJob it is, or None for any other job (told apart by the
    description, without importing the job module)."""
    return cast("ServiceHostJob", job) if is_service_host(job) else None


def collect_unsaved(starts: Iterable[Job]) -> List[Job]:
    """Unsaved jobs reachable from ``starts`` (successors and service hosts), parents first."""
    order: List[Job] = []
    seen: Set[int] = set()
    stack = list(starts)
    while stack:
        job = stack.pop()
        if id(job) in seen:
            continue
        seen.add(id(job))
        if not job._saved:
            order.append(job)
        stack.extend(reversed(job._followOns))
        stack.extend(reversed(job._children))
        stack.extend(job._services)
        host = _as_service_host(job)
        if host is not None:
            stack.extend(host._service_children)
    return order


def fill_description(job: Job, config: Config) -> None:
    job.assignConfig(config)
    desc = job.description
    desc.memory = int(job.memory)
    desc.cores = job.cores
    desc.disk = int(job.disk)
    desc.accelerators = job.accelerators
    desc.preemptible = job.preemptible
    desc.memory_explicit = job._memory is not None
    desc.disk_explicit = job._disk is not None
    desc.remainingTryCount = int(config.retryCount) + 1
    desc.predecessorNumber = max(1, len(job._directPredecessors))


class _Ancestors:
    """The jobs that always finish before ``job`` starts (``id(node) in ancestors``).

    A service starts once the job it serves (its client) has run, so a service host's ancestors
    are its client and the client's ancestors: as upstream, a service may hold its host job's
    promise (``job.addService(MyService(job.rv()))``) or a promise of the host's predecessors,
    never one of the host's successors.

    The predecessors are walked upwards, breadth first, only as far as a question needs: a job
    usually holds a promise of a near predecessor, and a chain of n jobs built at once would
    otherwise cost n*n steps to check.
    """

    __slots__ = ("_found", "_queue")

    def __init__(self, job: Job) -> None:
        self._found: Set[int] = set()
        self._queue: Deque[Job] = collections.deque(job._directPredecessors)
        host = _as_service_host(job)
        if host is not None and host._client is not None:
            self._queue.append(host._client)

    def __contains__(self, node_id: object) -> bool:
        found, queue = self._found, self._queue
        if node_id in found:
            return True
        while queue:
            node = queue.popleft()
            if id(node) in found:
                continue
            found.add(id(node))
            queue.extend(node._directPredecessors)
            if id(node) == node_id:
                return True
        return False


def _runs_before(promisor: Job, consumer: Job, consumer_ancestors: _Ancestors) -> bool:
    """Whether ``promisor`` always finishes before ``consumer`` starts."""
    host = _as_service_host(promisor)
    if host is not None:
        client = host._client
        return client is not None and (client is consumer or id(client) in consumer_ancestors)
    if id(promisor) in consumer_ancestors:
        return True
    # A follow-on of P runs after everything under P's children.
    seen: Set[int] = set()
    stack = [promisor]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for parent in node._directPredecessors:
            if any(child is node for child in parent._children):
                for follow_on in parent._followOns:
                    if follow_on is consumer or id(follow_on) in consumer_ancestors:
                        return True
            stack.append(parent)
    return False


def _check_promises(consumer: Job, promisors: List[Any]) -> None:
    if not promisors:
        return
    ancestors = _Ancestors(consumer)
    for promisor in promisors:
        if promisor is consumer or not _runs_before(promisor, consumer, ancestors):
            raise JobPromiseConstraintError(promisor, consumer)


def write_body(job_store: AbstractJobStore, job: Job) -> None:
    """Pickle ``job`` (checking its promises) into its description or a job-store file."""
    data, promisors = _dumps_job(job, job_store)
    _check_promises(job, promisors)
    desc = job.description
    if len(data) <= INLINE_BODY_LIMIT:
        desc.inline_body = base64.b64encode(data).decode("ascii")
        file_id = INLINE_BODY
    else:
        with job_store.write_file_stream(job_id=desc.jobStoreID, cleanup=True) as (stream, file_id):
            stream.write(data)
    desc.body_id = file_id
    if desc.checkpoint:
        desc.checkpoint_body_id = file_id


def link_description(job: Job) -> None:
    """Record the job's in-memory successors and services by ID in its description."""
    desc = job.description
    desc.children = desc.children + [_stored_id(c) for c in job._children
                                     if c.description.jobStoreID not in desc.children]
    desc.followOns = desc.followOns + [_stored_id(f) for f in job._followOns
                                       if f.description.jobStoreID not in desc.followOns]
    hosts = job._all_service_hosts()
    if hosts:
        desc.services = desc.services + [_stored_id(h) for h in hosts]
        for host in job._services:
            host.description.parent_service = None
        for host in hosts:
            for child in host._service_children:
                child.description.parent_service = host.description.jobStoreID


def load_job_body(job_store: AbstractJobStore, desc: Any, body_id: Optional[str] = None) -> Job:
    """Load the Job object of ``desc`` with its promises resolved."""
    file_id = body_id or desc.body_id
    if file_id is None:
        raise RuntimeError(f"Job {desc} has no body to run.")
    if file_id == INLINE_BODY:
        if desc.inline_body is None:
            raise RuntimeError(f"Job {desc} lost its stored body; the job store may be damaged.")
        data = base64.b64decode(desc.inline_body)
    else:
        try:
            data = read_file_bytes(job_store, file_id)
        except NoSuchFileException as err:
            locator = getattr(job_store, "locator", "JOBSTORE")
            raise NoSuchFileException(
                file_id, f"the body of job {desc}",
                f"The job store '{locator}' is damaged: restore that file (or the whole job "
                f"store) from a backup and resume with --restart, or remove the job store with "
                f"'toil clean {locator}' and run the workflow again.") from err
    job = loads_from_store(data, job_store)
    job._description = desc
    return job


def load_return_value(job_store: AbstractJobStore, rv_file_id: str) -> Any:
    data = read_file_bytes(job_store, rv_file_id)
    if not data:
        raise RuntimeError("The root job did not store a return value.")
    return loads_from_store(data, job_store)


def descriptions_by_id(jobs: List[Job]) -> Dict[str, Any]:
    return {_stored_id(job): job.description for job in jobs}


def _stored_id(job: Job) -> str:
    """The job store ID of a job that has one (every job being linked or saved does)."""
    job_id = job.description.jobStoreID
    if job_id is None:
        raise RuntimeError(f"{job} has no job store ID yet; it must be assigned one before it is linked")
    return job_id
