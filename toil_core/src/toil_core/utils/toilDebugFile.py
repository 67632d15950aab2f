"""Debug tool for copying files contained in a toil jobStore.

Upstream name of :mod:`toil_core.cli.debug_file`.
"""
from toil_core.cli.debug_file import *  # noqa: F401,F403
from toil_core.cli.debug_file import __all__, main  # noqa: F401
