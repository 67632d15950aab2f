"""Compatibility module: upstream name ``toil.provisioners.abstractProvisioner``."""
from toil_core.provisioners.abstract import *  # noqa: F401,F403
