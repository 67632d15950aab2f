"""Compatibility module: upstream name ``toil.utils.toilClean``; everything lives in toil_core."""
from toil_core.utils.toilClean import *  # noqa: F401,F403
