"""Compatibility module: upstream name ``toil.lib.conversions``; everything lives in toil_core."""
from toil_core.lib.conversions import *  # noqa: F401,F403
