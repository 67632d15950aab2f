"""Compatibility module: upstream name ``toil.lib.expando``; everything lives in toil_core."""
from toil_core.lib.expando import *  # noqa: F401,F403

__all__ = [
    "Expando", "MagicExpando",
]
