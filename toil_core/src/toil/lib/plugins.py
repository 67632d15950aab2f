"""Compatibility module: upstream name ``toil.lib.plugins`` (Toil 6+ plugin registration)."""
from toil_core.plugins.upstream import *  # noqa: F401,F403
from toil_core.plugins.upstream import __all__  # noqa: F401
