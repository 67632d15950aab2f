"""Compatibility module: upstream name ``toil.lib.accelerators``; everything lives in toil_core."""
from toil_core.lib.accelerators import *  # noqa: F401,F403
