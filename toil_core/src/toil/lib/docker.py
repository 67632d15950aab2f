"""Compatibility module: upstream name ``toil.lib.docker``; everything lives in toil_core."""
from toil_core.lib.docker import *  # noqa: F401,F403
