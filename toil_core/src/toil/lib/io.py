"""Compatibility module: upstream name ``toil.lib.io``; everything lives in toil_core."""
from toil_core.lib.io import *  # noqa: F401,F403

__all__ = [
    "AtomicFileCreate", "WriteWatchingStream", "atomic_copy", "atomic_copyobj", "atomic_install",
    "atomic_tmp_file", "logger", "make_public_dir", "robust_rmtree", "try_path",
]
