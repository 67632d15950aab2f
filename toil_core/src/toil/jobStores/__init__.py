"""Compatibility module: upstream name ``toil.jobStores``; everything lives in toil_core."""
from toil_core.jobstores import *  # noqa: F401,F403

__all__: list = []
