"""Compatibility module: upstream name ``toil.batchSystems.singleMachine``; everything lives in toil_core."""
from toil_core.batch.single_machine import *  # noqa: F401,F403
from toil_core.compat_names import Info  # noqa: F401

__all__ = [
    "Info", "SingleMachineBatchSystem", "logger",
]
