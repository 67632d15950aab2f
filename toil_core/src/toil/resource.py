"""Compatibility module: upstream name ``toil.resource``; everything lives in toil_core."""
from toil_core.resource import *  # noqa: F401,F403

__all__ = [
    "DirectoryResource", "FileResource", "ModuleDescriptor", "Resource", "ResourceException",
    "VirtualEnvResource", "logger",
]
