"""Reports statistical data about a given Toil workflow (upstream name of :mod:`toil_core.cli.stats`)."""
from toil_core.cli.stats import *  # noqa: F401,F403
from toil_core.cli.stats import __all__, main  # noqa: F401
