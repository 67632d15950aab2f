"""Debug tool for running a toil job locally (upstream name of :mod:`toil_core.cli.debug_job`)."""
from toil_core.cli.debug_job import *  # noqa: F401,F403
from toil_core.cli.debug_job import __all__, main  # noqa: F401
