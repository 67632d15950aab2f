"""Compatibility module: upstream name ``toil.lib.bioio``; everything lives in toil_core."""
from toil_core.lib.bioio import *  # noqa: F401,F403
