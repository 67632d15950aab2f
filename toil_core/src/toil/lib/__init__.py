"""Compatibility module: upstream name ``toil.lib``; everything lives in toil_core."""

__all__: list = []
