"""Compatibility module: upstream name ``toil.bus``; everything lives in toil_core."""
from toil_core.bus import *  # noqa: F401,F403
