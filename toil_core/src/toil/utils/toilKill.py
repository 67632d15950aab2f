"""Compatibility module: upstream name ``toil.utils.toilKill``; everything lives in toil_core."""
from toil_core.utils.toilKill import *  # noqa: F401,F403
