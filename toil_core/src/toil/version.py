"""Compatibility module: upstream name ``toil.version``; everything lives in toil_core."""
from toil_core.version import *  # noqa: F401,F403

__all__ = [
    "baseVersion", "cgcloudVersion", "currentCommit", "cwltool_version", "dirty", "distVersion",
    "dockerName", "dockerRegistry", "dockerTag", "exactPython", "python", "version",
]
