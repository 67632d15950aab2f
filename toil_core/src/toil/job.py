"""Compatibility module: upstream name ``toil.job``; everything lives in toil_core."""
from toil_core.job import *  # noqa: F401,F403
from toil_core.job.requirements import *  # noqa
from toil_core.lib.accelerators import AcceleratorRequirement, parse_accelerator, accelerator_satisfies, accelerators_fully_satisfy  # noqa
from toil_core.job.graph import *  # noqa
