"""Compatibility module: upstream name ``toil.batchSystems.registry``; everything lives in toil_core."""
from toil_core.batch.registry import *  # noqa: F401,F403
