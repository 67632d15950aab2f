"""Compatibility module: upstream name ``toil.lib.iterables``; everything lives in toil_core."""
from toil_core.lib.iterables import IT, concat, flatten  # noqa: F401

__all__ = [
    "IT", "concat", "flatten",
]
