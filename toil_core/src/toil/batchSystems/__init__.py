"""Compatibility module: upstream name ``toil.batchSystems``; everything lives in toil_core."""
from toil_core.leader.errors import *  # noqa: F401,F403

__all__ = [
    "DeadlockException",
]
