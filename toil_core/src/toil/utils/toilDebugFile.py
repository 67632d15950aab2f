"""Compatibility module: upstream name ``toil.utils.toilDebugFile``; everything lives in toil_core."""
from toil_core.utils.toilDebugFile import *  # noqa: F401,F403
