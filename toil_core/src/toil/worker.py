"""Compatibility module: upstream name ``toil.worker``; everything lives in toil_core."""
from toil_core.worker.entry import *  # noqa: F401,F403
