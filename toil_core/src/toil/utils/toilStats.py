"""Compatibility module: upstream name ``toil.utils.toilStats``; everything lives in toil_core."""
from toil_core.utils.toilStats import *  # noqa: F401,F403
