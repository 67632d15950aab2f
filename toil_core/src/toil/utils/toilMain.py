"""Compatibility module: upstream name ``toil.utils.toilMain``; everything lives in toil_core."""
from toil_core.utils.toilMain import *  # noqa: F401,F403

__all__ = [
    "get_or_die", "loadModules", "main", "printHelp", "printVersion",
]
