"""Deferred functions: cleanup actions a job registers, run when its attempt ends.

Each ``DeferredFunctionManager.open()`` block (one per job attempt) owns a state file
``<stateDirBase>/deferred/func<random>``. Every registration is appended to it at once as a
length-prefixed pickle, so it survives the process being killed. The file is ``flock``-ed
exclusively while its owner lives; a state file whose lock can be taken therefore belongs to a
dead process, and whoever takes the lock (another worker entering or leaving ``open()``, or
``cleanupWorker()`` at batch-system shutdown) runs its functions and deletes it. State files are
created under a ``.tmp`` name and renamed only once locked, so nobody adopts a file in creation.
"""
from __future__ import annotations

import fcntl
import logging
import os
import pickle
import struct
import tempfile
from collections import namedtuple
from contextlib import contextmanager, suppress
from typing import Any, Callable, Iterator, List, Set, Tuple

logger = logging.getLogger(__name__)

_LENGTH = struct.Struct(">Q")


class DeferredFunction(namedtuple("DeferredFunction", "function args kwargs name module")):
    """A pickled callable with its arguments.

    >>> from collections import defaultdict
    >>> df = DeferredFunction.create(defaultdict, None, {'x': 1}, y=2)
    >>> df
    DeferredFunction(defaultdict, ...)
    >>> df.invoke() == defaultdict(None, x=1, y=2)
    True
    """

    __slots__ = ()

    @classmethod
    def create(cls, function: Callable[..., Any], *args: Any, **kwargs: Any) -> "DeferredFunction":
        """Capture ``function(*args, **kwargs)``. Serialised with dill, as upstream does, so lambdas
        and closures work: a function that cannot be imported by name travels by value."""
        import dill  # lazy: only jobs that defer something pay for importing dill

        name = getattr(function, "__qualname__", None) or getattr(function, "__name__", repr(function))
        return cls(dill.dumps(function, recurse=True), dill.dumps(args, recurse=True),
                   dill.dumps(kwargs, recurse=True), name, getattr(function, "__module__", None))

    def invoke(self) -> Any:
        """Call the captured function with the captured arguments."""
        import dill  # lazy: see create

        function = dill.loads(self.function)
        return function(*dill.loads(self.args), **dill.loads(self.kwargs))

    def __str__(self) -> str:
        return f"{self.__class__.__name__}({self.name}, ...)"

    __repr__ = __str__


def _run_all(functions: List[DeferredFunction], origin: str) -> None:
    for function in functions:
        try:
            logger.debug("Running deferred function %s (%s)", function, origin)
            function.invoke()
        except Exception:
            logger.exception("Deferred function %s (%s) failed; continuing", function, origin)


def _read_records(fd: int) -> List[DeferredFunction]:
    """Decode a state file; a record cut short by a crash ends the list."""
    os.lseek(fd, 0, os.SEEK_SET)
    data = b""
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        data += chunk
    functions, offset = [], 0
    while offset + _LENGTH.size <= len(data):
        (length,) = _LENGTH.unpack_from(data, offset)
        offset += _LENGTH.size
        if offset + length > len(data):
            break
        try:
            functions.append(pickle.loads(data[offset:offset + length]))
        except Exception:
            logger.exception("Could not load a deferred function record; skipping it")
        offset += length
    return functions


class DeferredFunctionManager:
    """Runs the deferred functions of job attempts, including those of dead workers."""

    STATE_DIR_STEM = "deferred"
    PREFIX = "func"
    WIP_SUFFIX = ".tmp"

    #: (state directory, process ID) pairs this process made sure exist (once per forked batch).
    _made: Set[Tuple[str, int]] = set()

    def __init__(self, stateDirBase: str) -> None:
        self.stateDir = os.path.join(stateDirBase, self.STATE_DIR_STEM)
        key = (self.stateDir, os.getpid())
        if key not in DeferredFunctionManager._made:
            os.makedirs(self.stateDir, exist_ok=True)
            DeferredFunctionManager._made.add(key)
        self.stateFileName: str = ""

    @contextmanager
    def open(self) -> Iterator[Callable[..., None]]:
        """Yield ``register(function, *args, **kwargs)``; run what was registered on exit.

        The functions run when the block ends, whether it returned or raised (their own errors
        are logged, not raised). Not thread safe.
        """
        self._runOrphanedDeferredFunctions()
        registered: List[DeferredFunction] = []
        state = {"fd": -1}

        def register(function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
            deferred = function if isinstance(function, DeferredFunction) and not args and not kwargs \
                else DeferredFunction.create(function, *args, **kwargs)
            record = pickle.dumps(deferred)
            if state["fd"] < 0:  # the state file is made on first use: most jobs defer nothing
                state["fd"] = self._create_state_file()
            os.write(state["fd"], _LENGTH.pack(len(record)) + record)
            registered.append(deferred)

        try:
            yield register
        finally:
            try:
                _run_all(registered, "this job")
            finally:
                if state["fd"] >= 0:
                    # Unlink before unlocking, so nobody can adopt (and rerun) the file.
                    with suppress(FileNotFoundError):
                        os.unlink(self.stateFileName)
                    os.close(state["fd"])
                self.stateFileName = ""
            if registered:
                self._runOrphanedDeferredFunctions()

    def _create_state_file(self) -> int:
        """Create, lock and publish a fresh state file; return its descriptor."""
        while True:
            try:
                fd, wip = tempfile.mkstemp(prefix=self.PREFIX, suffix=self.WIP_SUFFIX, dir=self.stateDir)
            except FileNotFoundError:  # removed since this process made it
                os.makedirs(self.stateDir, exist_ok=True)
                continue
            fcntl.flock(fd, fcntl.LOCK_EX)
            final = wip[: -len(self.WIP_SUFFIX)]
            try:
                os.link(wip, final)  # unlike rename, never replaces another worker's file
            except FileExistsError:
                os.unlink(wip)
                os.close(fd)
                continue
            os.unlink(wip)
            self.stateFileName = final
            return fd

    def _runOrphanedDeferredFunctions(self) -> None:
        self._adopt_orphans(self.stateDir, remove_wip=False)

    @classmethod
    def _adopt_orphans(cls, state_dir: str, remove_wip: bool) -> None:
        """Run and delete the state files of dead processes (those whose lock is free)."""
        try:
            names = os.listdir(state_dir)
        except FileNotFoundError:
            return
        for name in names:
            if not name.startswith(cls.PREFIX):
                continue
            path = os.path.join(state_dir, name)
            wip = name.endswith(cls.WIP_SUFFIX)
            if wip and not remove_wip:
                continue  # maybe being created right now
            try:
                fd = os.open(path, os.O_RDWR)
            except (FileNotFoundError, IsADirectoryError):
                continue
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its owner is alive
                try:  # still the same file? (someone may have adopted and removed it)
                    if os.fstat(fd).st_ino != os.stat(path).st_ino:
                        continue
                except FileNotFoundError:
                    continue
                functions = [] if wip else _read_records(fd)
                if functions:
                    logger.warning("Running %d deferred function(s) left by a dead worker (%s)",
                                   len(functions), name)
                try:
                    _run_all(functions, f"orphaned {name}")
                finally:
                    with suppress(FileNotFoundError):
                        os.unlink(path)
            finally:
                os.close(fd)

    @classmethod
    def cleanupWorker(cls, stateDirBase: str) -> None:
        """At batch-system shutdown (no workers left): run every orphaned deferred function."""
        cls._adopt_orphans(os.path.join(stateDirBase, cls.STATE_DIR_STEM), remove_wip=True)
