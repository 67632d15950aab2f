"""Compatibility module: upstream name ``toil.lib.retry``; everything lives in toil_core."""
from toil_core.lib.retry import *  # noqa: F401,F403
