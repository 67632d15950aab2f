"""The built-in ``single_machine`` batch system, registered through the ``toil.batch_systems``
entry point group like any other plugin. Importing this module imports no backend code."""
from __future__ import annotations

from typing import List

from toil_core.plugins.specs import BatchSystemSpec


def toil_batch_systems() -> List[BatchSystemSpec]:
    return [
        BatchSystemSpec(
            name="single_machine",
            aliases=("singleMachine", "single-machine"),
            load="toil_core.batch.single_machine:SingleMachineBatchSystem",
            capabilities=frozenset({"worker_cleanup", "fractional_cores", "accelerators"}),
            summary="Runs jobs as parallel processes on this machine.",
        )
    ]
