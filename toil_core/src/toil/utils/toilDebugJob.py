"""Compatibility module: upstream name ``toil.utils.toilDebugJob``; everything lives in toil_core."""
from toil_core.utils.toilDebugJob import *  # noqa: F401,F403
