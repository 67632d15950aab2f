"""Small upstream names that the ``toil.*`` facade modules re-export and that have no other home.

Upstream Toil 5.10 modules carry constants, loggers and a few helpers that workflow code and test
helpers import (``toil.common.SYS_MAX_SIZE``, ``toil.job.REQUIREMENT_NAMES``, ``toil.worker.logger``,
the ``*_batch_system_factory`` functions...). They are collected here so the facade stays pure
re-exports and the engine's own modules stay free of compatibility clutter. This module sits with
:mod:`toil_core.compat_toplevel` at the top of the core's layers.
"""
from __future__ import annotations

import contextlib
import logging
import pickle
import sys
from typing import IO, TYPE_CHECKING, Any, Callable, Dict, Iterator, List, TypeVar, Union

from toil_core.lib.accelerators import AcceleratorRequirement
from toil_core.lib.expando import MagicExpando

if TYPE_CHECKING:
    import argparse

__all__ = [
    "BATCH_SYSTEMS", "JOBSTORE_HELP", "REQUIREMENT_NAMES", "SQLITE_TIMEOUT_SECS", "SYS_MAX_SIZE",
    "UUID_LENGTH", "Info", "MessageType", "ParseableAcceleratorRequirement", "ParseableDivisibleResource",
    "ParseableFlag", "ParseableIndivisibleResource", "ParseableRequirement", "ParsedRequirement", "T",
    "StatsDict", "a_short_time", "defaultTargetTime", "in_contexts", "nextChainable", "parse_args",
    "safeUnpickleFromStream", "upstream_logger",
]

# ---------------------------------------------------------------- loggers named like upstream's
_LOGGERS: Dict[str, logging.Logger] = {}


def upstream_logger(module: str) -> logging.Logger:
    """The logger upstream's module ``module`` logs to (its ``logger`` attribute)."""
    if module not in _LOGGERS:
        _LOGGERS[module] = logging.getLogger(module)
    return _LOGGERS[module]


job_logger = upstream_logger("toil.job")
common_logger = upstream_logger("toil.common")
exceptions_logger = upstream_logger("toil.exceptions")
worker_logger = upstream_logger("toil.worker")
leader_logger = upstream_logger("toil.leader")
bus_logger = upstream_logger("toil.bus")
registry_logger = upstream_logger("toil.batchSystems.registry")
abstract_job_store_logger = upstream_logger("toil.jobStores.abstractJobStore")
file_job_store_logger = upstream_logger("toil.jobStores.fileJobStore")
docker_logger = upstream_logger("toil.lib.docker")
provisioners_logger = upstream_logger("toil.provisioners")
abstract_provisioner_logger = upstream_logger("toil.provisioners.abstractProvisioner")
toil_clean_logger = upstream_logger("toil.utils.toilClean")
toil_debug_file_logger = upstream_logger("toil.utils.toilDebugFile")
toil_debug_job_logger = upstream_logger("toil.utils.toilDebugJob")
toil_kill_logger = upstream_logger("toil.utils.toilKill")
toil_stats_logger = upstream_logger("toil.utils.toilStats")
toil_status_logger = upstream_logger("toil.utils.toilStatus")
cleanup_support_logger = upstream_logger("toil.batchSystems.cleanup_support")
local_support_logger = upstream_logger("toil.batchSystems.local_support")
batch_options_logger = upstream_logger("toil.batchSystems.options")
stats_and_logging_logger = upstream_logger("toil.statsAndLogging")
toil_state_logger = upstream_logger("toil.toilState")

# ---------------------------------------------------------------- toil.common
#: The largest integer size, used upstream as "no limit" for --maxCores and friends.
SYS_MAX_SIZE = sys.maxsize
#: Length of a workflow ID (a hex UUID4).
UUID_LENGTH = 32
#: Default target time, in seconds, the autoscaler aims to finish queued work in (--targetTime).
defaultTargetTime = 1800
JOBSTORE_HELP = (
    "Where the workflow keeps its jobs, files and statistics (every worker must reach it). Written "
    "as SCHEME:REST, for example file:/shared/run1 (a directory), aws:us-west-2:run1 or "
    "google:my-project:run1 when those backends are installed; a plain path means file:PATH."
)


def safeUnpickleFromStream(stream: IO[bytes]) -> Any:
    """Unpickle one object from a binary stream (upstream reads the whole stream first, so a
    stream that cannot seek works too)."""
    return pickle.loads(stream.read())


# ---------------------------------------------------------------- toil.job
#: The requirement names a job (a Requirer) has.
REQUIREMENT_NAMES = ["disk", "memory", "cores", "accelerators", "preemptible"]
T = TypeVar("T")
ParsedRequirement = Union[int, float, bool, List[AcceleratorRequirement]]
ParseableIndivisibleResource = Union[str, int]
ParseableDivisibleResource = Union[str, int, float]
ParseableFlag = Union[str, int, bool]
ParseableAcceleratorRequirement = Union[str, int, Dict[str, Any], AcceleratorRequirement,
                                        List[Union[str, int, Dict[str, Any], AcceleratorRequirement]]]
ParseableRequirement = Union[ParseableIndivisibleResource, ParseableDivisibleResource, ParseableFlag,
                             ParseableAcceleratorRequirement]

# ---------------------------------------------------------------- toil.bus
#: Type variable upstream's bus uses for "some message type".
MessageType = TypeVar("MessageType")

# ---------------------------------------------------------------- toil.fileStores.cachingFileStore
#: How long, in seconds, the caching file store waits for its SQLite database lock.
SQLITE_TIMEOUT_SECS = 60.0

# ---------------------------------------------------------------- toil.provisioners.abstractProvisioner
#: Seconds a provisioner waits between polls of a cloud API (upstream's a_short_time).
a_short_time = 5

# ---------------------------------------------------------------- toil.batchSystems.registry
#: The batch system names upstream 5.10 ships (each is a plugin here: see ``toil plugins list``).
BATCH_SYSTEMS = ["aws_batch", "parasol", "single_machine", "grid_engine", "lsf", "mesos", "slurm", "tes",
                 "torque", "htcondor", "kubernetes"]


def _factory(name: str) -> Callable[[], Any]:
    def factory() -> Any:
        # lazy: the plugin registry pulls in pluggy; ``import toil.job`` must not pay for it
        from toil_core.plugins.registry import get_batch_system_class

        return get_batch_system_class(name)

    factory.__name__ = factory.__qualname__ = f"{name}_batch_system_factory"
    factory.__doc__ = (f"The {name} batch system class, loaded from the plugin that provides it "
                       f"(PluginNotInstalledError names the extra to install when none does).")
    return factory


aws_batch_batch_system_factory = _factory("aws_batch")
gridengine_batch_system_factory = _factory("grid_engine")
htcondor_batch_system_factory = _factory("htcondor")
kubernetes_batch_system_factory = _factory("kubernetes")
lsf_batch_system_factory = _factory("lsf")
mesos_batch_system_factory = _factory("mesos")
paraSol_batch_system_factory = _factory("parasol")
slurm_batch_system_factory = _factory("slurm")
tes_batch_system_factory = _factory("tes")
torque_batch_system_factory = _factory("torque")


# ---------------------------------------------------------------- toil.batchSystems.singleMachine
class Info:
    """Upstream single-machine batch system's record of one running job: when it started
    (``startTime``), its child process (``popen``, or None), the ``(cores, memory, disk)`` it holds
    (``resources``, or None) and whether Toil means to kill it (``killIntended``)."""

    __slots__ = ("startTime", "popen", "resources", "killIntended")

    def __init__(self, startTime: float, popen: Any, resources: Any, killIntended: bool) -> None:
        self.startTime = startTime
        self.popen = popen
        self.resources = resources
        self.killIntended = killIntended

    def __repr__(self) -> str:
        return (f"Info(startTime={self.startTime!r}, popen={self.popen!r}, resources={self.resources!r}, "
                f"killIntended={self.killIntended!r})")


# ---------------------------------------------------------------- toil.worker
class StatsDict(MagicExpando):
    """The statistics a worker collects for the leader (``jobs`` lists the jobs it ran)."""

    jobs: List[str]


def nextChainable(predecessor: Any, jobStore: Any, config: Any) -> Any:
    """The description of the job a worker may run right after ``predecessor`` in the same
    process (its only successor of the next phase, with nothing else waiting on it), or None."""
    # lazy: the worker layer is only needed by code that chains jobs by hand
    from toil_core.worker.worker import chain_target

    return chain_target(jobStore, predecessor, config)


def parse_args(args: List[str]) -> argparse.Namespace:
    """Parse a worker command line: ``JOBNAME JOBSTORE_LOCATOR JOBSTORE_ID [--context CTX ...]``."""
    import argparse  # lazy: ``import toil.job`` imports this module; only worker command lines need it

    parser = argparse.ArgumentParser(prog="_toil_worker", description="Run one Toil job.")
    parser.add_argument("jobName", help="the job's name, for logs")
    parser.add_argument("jobStoreLocator", help="the job store holding the job")
    parser.add_argument("jobStoreID", help="the ID of the job to run")
    parser.add_argument("--context", default=[], action="append",
                        help="a base64-encoded pickled context manager to run the job inside")
    return parser.parse_args(args)


@contextlib.contextmanager
def in_contexts(contexts: List[str]) -> Iterator[None]:
    """Enter every base64-encoded pickled context manager of ``contexts`` (in order), run the body,
    then leave them in reverse order."""
    import base64  # lazy: ``import toil.job`` imports this module; few jobs run in contexts

    with contextlib.ExitStack() as stack:
        for encoded in contexts:
            stack.enter_context(pickle.loads(base64.b64decode(encoded.encode("utf-8"))))
        yield
