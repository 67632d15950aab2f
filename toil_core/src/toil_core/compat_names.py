"""Small upstream names that the ``toil.*`` facade modules re-export and that have no other home.

Upstream Toil 5.10 modules carry constants, loggers and a few helpers that workflow code and test
helpers import (``toil.common.SYS_MAX_SIZE``, ``toil.job.REQUIREMENT_NAMES``, ``toil.worker.logger``,
the ``*_batch_system_factory`` functions...). They are collected here so the facade stays pure
re-exports and the engine's own modules stay free of compatibility clutter. This module sits with
:mod:`toil_core.compat_toplevel` at the top of the core's layers.
"""
from __future__ import annotations

import logging
import pickle
import sys
from typing import IO, Any, Callable, Dict, List, TypeVar, Union

from toil_core.lib.accelerators import AcceleratorRequirement

__all__ = [
    "BATCH_SYSTEMS", "JOBSTORE_HELP", "REQUIREMENT_NAMES", "SQLITE_TIMEOUT_SECS", "SYS_MAX_SIZE",
    "UUID_LENGTH", "MessageType", "ParseableAcceleratorRequirement", "ParseableDivisibleResource",
    "ParseableFlag", "ParseableIndivisibleResource", "ParseableRequirement", "ParsedRequirement", "T",
    "a_short_time", "defaultTargetTime", "safeUnpickleFromStream", "upstream_logger",
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
