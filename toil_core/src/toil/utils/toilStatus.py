"""Compatibility module: upstream name ``toil.utils.toilStatus``; everything lives in toil_core."""
from toil_core.utils.toilStatus import *  # noqa: F401,F403
