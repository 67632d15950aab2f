"""Compatibility module: upstream name ``toil.jobStores.abstractJobStore``; everything lives in toil_core."""
from toil_core.jobstores.abstract import *  # noqa: F401,F403
from toil_core.jobstores.errors import *  # noqa
