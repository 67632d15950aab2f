"""Compatibility module: upstream name ``toil.lib.resources``; everything lives in toil_core."""
from toil_core.lib.resources import *  # noqa: F401,F403
