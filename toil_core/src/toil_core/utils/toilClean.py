"""Delete the job store of a workflow (upstream name of :mod:`toil_core.cli.clean`)."""
from toil_core.cli.clean import *  # noqa: F401,F403
from toil_core.cli.clean import __all__, main  # noqa: F401
