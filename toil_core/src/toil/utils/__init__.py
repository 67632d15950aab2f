"""Compatibility package: upstream ``toil.utils``; everything lives in toil_core."""

__all__: list = []
