"""The built-in ``single_machine`` batch system, registered through the ``toil.batch_systems``
entry point group like any other plugin. Importing this module imports no backend code."""
from __future__ import annotations

from typing import List

import attrs

from toil_core.plugins.specs import BatchSystemSpec


@attrs.frozen
class SingleMachineSettings:
    """single_machine has no options of its own: it is configured by the core options
    ``--maxCores``, ``--maxMemory``, ``--maxDisk``, ``--maxJobs``, ``--scale``,
    ``--debugWorker`` and ``--badWorker``, which every batch system shares."""


def toil_batch_systems() -> List[BatchSystemSpec]:
    return [
        BatchSystemSpec(
            name="single_machine",
            aliases=("singleMachine", "single-machine"),
            load="toil_core.batch.single_machine:SingleMachineBatchSystem",
            settings=SingleMachineSettings,
            # Not "accelerators": single_machine does not check or assign GPUs yet, and the
            # contract suite holds a backend to every capability it declares.
            capabilities=frozenset({"worker_cleanup", "fractional_cores", "walltime", "accelerators"}),
            summary="Runs jobs as parallel processes on this machine.",
        )
    ]
