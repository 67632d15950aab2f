"""Compatibility module: upstream name ``toil.batchSystems.singleMachine``; everything lives in toil_core."""
from toil_core.batch.single_machine import *  # noqa: F401,F403

__all__ = [
    "SingleMachineBatchSystem", "logger",
]
