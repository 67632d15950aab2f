"""Promises: placeholders for job return values, filled in when the consuming job runs.

A Promise pickles to a reference to its promisor's return-value file in the job store
(allocated the first time anyone takes a promise of that job). The promisor writes its pickled
return value into that file when it finishes; unpickling the consumer's body reads it and walks
the promise's path (``rv(1, 'a')`` means ``value[1]['a']``). Values that are themselves promises
resolve in the same way, so promises of promises work.
"""
from __future__ import annotations

import marshal
import pickle
import types
import importlib
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, TypeVar, Union

__all__ = ["Promise", "PromisedRequirement", "UnfulfilledPromiseSentinel", "unwrap", "unwrap_all", "Promised"]


class _SaveContext:
    """Active while Toil pickles job bodies: allocates return-value files, records references."""

    def __init__(self, job_store: Any) -> None:
        self.job_store = job_store
        self.promisors: List[Any] = []

    def rv_file_for(self, job: Any) -> str:
        desc = job.description
        if desc.rv_file_id is None:
            desc.rv_file_id = self.job_store.reserve_return_value_id(desc.jobStoreID)
        return desc.rv_file_id


class _LoadContext:
    """Active while Toil unpickles job bodies or return values: reads return-value files."""

    def __init__(self, job_store: Any) -> None:
        self.job_store = job_store
        self._raw: Dict[str, bytes] = {}

    def read(self, file_id: str) -> bytes:
        raw = self._raw.get(file_id)
        if raw is None:
            raw = self._raw[file_id] = read_file_bytes(self.job_store, file_id)
        return raw


def read_file_bytes(job_store: Any, file_id: str) -> bytes:
    """The whole stored file ``file_id``, without a stream where the store can."""
    fast = getattr(job_store, "read_file_bytes", None)
    if fast is not None:
        return fast(file_id)
    with job_store.read_file_stream(file_id) as stream:
        return stream.read()


_saving: Optional[_SaveContext] = None
_loading: Optional[_LoadContext] = None


def dumps_for_store(obj: Any, job_store: Any) -> Tuple[bytes, List[Any]]:
    """Pickle ``obj`` for the job store; returns the bytes and the jobs whose promises it holds."""
    global _saving
    previous = _saving
    _saving = _SaveContext(job_store)
    try:
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        return data, _saving.promisors
    finally:
        _saving = previous


def loads_from_store(data: bytes, job_store: Any) -> Any:
    """Unpickle bytes written by :func:`dumps_for_store`, resolving promises."""
    global _loading
    previous = _loading
    if previous is None or previous.job_store is not job_store:
        _loading = _LoadContext(job_store)
    try:
        return pickle.loads(data)
    finally:
        _loading = previous


def _resolve_promise(file_id: str, path: Tuple[Any, ...], promisor: str) -> Any:
    context = _loading
    if context is None:
        raise RuntimeError("A promise can only be resolved while Toil loads a job.")
    raw = context.read(file_id)
    if not raw:  # the promisor has not run yet: its return-value file is still empty
        raise RuntimeError(_unfulfilled_message(promisor, file_id))
    value = pickle.loads(raw)
    for step in path:
        value = value[step]
    return value


def _unfulfilled_message(promisor: str, file_id: str) -> str:
    return ("This job was passed promise " + file_id + " that wasn't yet resolved when it ran. The job "
            f"{promisor} that fulfills this promise hasn't yet finished. This means that there "
            "aren't enough constraints to ensure the current job always runs after "
            f"{promisor}. Consider adding a follow-on indirection between this job and its "
            f"parent, or adding this job as a child/follow-on of {promisor}.")


class UnfulfilledPromiseSentinel:
    """Stands in a return-value file for a value not computed yet: loading it is an error that
    names the job that should have produced the value (upstream's name; this engine leaves the
    file empty, which :func:`_resolve_promise` reports with the same message)."""

    def __init__(self, fulfillingJobName: str, file_id: str, unpickled: Any) -> None:
        self.fulfillingJobName = fulfillingJobName
        self.file_id = file_id

    @staticmethod
    def __setstate__(stateDict: Dict[str, Any]) -> None:
        """Called only when unpickling, which means a job read the promise too early."""
        raise RuntimeError(_unfulfilled_message(stateDict["fulfillingJobName"], stateDict["file_id"]))


class Promise:
    """The future return value of ``job``, narrowed by ``path`` (see :meth:`Job.rv`)."""

    #: Upstream keeps promise files to delete here; promise files here are deleted with their job.
    filesToDelete: Set[str] = set()

    def __init__(self, job: Any, path: Tuple[Any, ...]) -> None:
        self.job = job
        self.path = tuple(path)

    def __reduce__(self) -> Any:
        context = _saving
        if context is None:
            raise RuntimeError(
                "A Promise can only be pickled while Toil saves jobs; pass it to a job "
                "(as an argument or return value) instead of pickling it yourself."
            )
        context.promisors.append(self.job)
        file_id = context.rv_file_for(self.job)
        return _resolve_promise, (file_id, self.path, str(self.job.description))

    def __repr__(self) -> str:
        return f"Promise({self.job!r}, {self.path!r})"


# Typing helpers (upstream ``toil.job.Promised`` and friends): ``Promised[T]`` is "a T, or a
# Promise that will be a T by the time the receiving job runs".
T = TypeVar("T")
Promised = Union[Promise, T]


def unwrap(p: Any) -> Any:
    """Typing helper: a promised value is used as the value itself inside jobs."""
    return p


def unwrap_all(ps: Any) -> Any:
    return ps


def _rebuild_function(code: bytes, module: str, name: str, defaults: Any) -> Callable[..., Any]:
    try:
        namespace = importlib.import_module(module).__dict__
    except ImportError:
        namespace = {"__builtins__": __builtins__}
    return types.FunctionType(marshal.loads(code), namespace, name, defaults)


class _PortableFunction:
    """Pickles a function by reference when possible, else by its code (for lambdas)."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def __reduce__(self) -> Any:
        function = self.function
        try:
            pickle.dumps(function)
        except (pickle.PicklingError, AttributeError, TypeError):
            if not isinstance(function, types.FunctionType) or function.__closure__:
                raise
            return _rebuild_portable, (
                marshal.dumps(function.__code__),
                function.__module__,
                function.__name__,
                function.__defaults__,
            )
        return _PortableFunction, (function,)


def _rebuild_portable(code: bytes, module: str, name: str, defaults: Any) -> "_PortableFunction":
    return _PortableFunction(_rebuild_function(code, module, name, defaults))


class PromisedRequirement:
    """A resource requirement computed from promises: ``PromisedRequirement(job.rv(1))`` or
    ``PromisedRequirement(lambda xs: sum(xs), [j.rv(1) for j in jobs])``."""

    def __init__(self, valueOrCallable: Any, *args: Any) -> None:
        if args:
            if not callable(valueOrCallable):
                raise TypeError("PromisedRequirement needs a callable when given extra arguments.")
            self._func: Optional[_PortableFunction] = _PortableFunction(valueOrCallable)
            self._args = list(args)
        else:
            if not isinstance(valueOrCallable, Promise):
                raise ValueError(
                    "PromisedRequirement takes a single Promise, or a callable followed by its arguments."
                )
            self._func = None
            self._args = [valueOrCallable]

    def getValue(self) -> Any:
        """The requirement's value; only meaningful once the promises are resolved."""
        if self._func is None:
            return self._args[0]
        return self._func.function(*self._args)

    @staticmethod
    def convertPromises(kwargs: Dict[str, Any]) -> bool:
        """Wrap bare Promises given as requirements; True if any requirement is promised."""
        found = False
        for name in ("memory", "disk", "cores"):
            value = kwargs.get(name)
            if isinstance(value, Promise):
                kwargs[name] = PromisedRequirement(value)
                found = True
            elif isinstance(value, PromisedRequirement):
                found = True
        return found
