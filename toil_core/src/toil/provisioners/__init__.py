"""Compatibility module: upstream name ``toil.provisioners``; everything lives in toil_core."""
from toil_core.provisioners import *  # noqa: F401,F403
