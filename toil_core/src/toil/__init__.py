"""Compatibility module: upstream name ``toil``; everything lives in toil_core."""
from toil_core.compat_toplevel import *  # noqa: F401,F403
