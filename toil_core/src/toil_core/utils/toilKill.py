"""Kills rogue toil processes (upstream name of :mod:`toil_core.cli.kill`)."""
from toil_core.cli.kill import *  # noqa: F401,F403
from toil_core.cli.kill import __all__, main  # noqa: F401
