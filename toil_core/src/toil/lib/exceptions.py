"""Compatibility module: upstream name ``toil.lib.exceptions``; everything lives in toil_core."""
from toil_core.lib.exceptions import panic, raise_  # noqa: F401

__all__ = [
    "panic", "raise_",
]
