"""Compatibility module: upstream name ``toil.provisioners``; everything lives in toil_core."""
from toil_core.provisioners import *  # noqa: F401,F403
from toil_core.compat_names import provisioners_logger as logger  # noqa: F401

__all__ = [
    "ClusterCombinationNotSupportedException", "ClusterTypeNotSupportedException",
    "NoSuchClusterException", "cluster_factory", "logger",
]
