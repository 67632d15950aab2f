"""Compatibility module: upstream name ``toil.lib.bioio``; everything lives in toil_core."""
from toil_core.lib.bioio import *  # noqa: F401,F403
from toil_core.workflow.options import set_logging_from_options as setLoggingFromOptions  # noqa: F401

__all__ = [
    "getLogLevelString", "getTempFile", "setLoggingFromOptions", "system",
]
