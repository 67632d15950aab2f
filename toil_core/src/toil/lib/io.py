"""Compatibility module: upstream name ``toil.lib.io``; everything lives in toil_core."""
from toil_core.lib.io import *  # noqa: F401,F403
