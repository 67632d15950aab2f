"""Compatibility module: upstream name ``toil.exceptions``; everything lives in toil_core."""
from toil_core.exceptions import *  # noqa: F401,F403
