"""Tool for reporting on job status (upstream name of :mod:`toil_core.cli.status`)."""
from toil_core.cli.status import *  # noqa: F401,F403
from toil_core.cli.status import __all__, main  # noqa: F401
