"""Version information (upstream ``toil.version``: the same names).

``exactPython`` and ``python`` name the interpreter this process runs on (upstream: the one its
release was built for); ``currentCommit`` is empty and ``dirty`` False because releases of
toil-core are not built from a checkout whose commit they record.
"""
import sys

from toil_core import __version__

__all__ = [
    "baseVersion", "cgcloudVersion", "currentCommit", "cwltool_version", "dirty", "distVersion",
    "dockerName", "dockerRegistry", "dockerTag", "exactPython", "python", "version",
]

baseVersion = __version__
version = __version__
distVersion = __version__
#: Upstream still publishes the version of its retired cgcloud dependency.
cgcloudVersion = "1.6.0a1.dev393"
currentCommit = ""
dirty = False
exactPython = f"python{sys.version_info[0]}.{sys.version_info[1]}"
python = exactPython
dockerRegistry = "quay.io/ucsc_cgl"
dockerName = "toil"
dockerTag = __version__
cwltool_version = ""
