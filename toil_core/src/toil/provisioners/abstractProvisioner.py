"""Compatibility module: upstream name ``toil.provisioners.abstractProvisioner``."""
from toil_core.compat_names import a_short_time  # noqa: F401
from toil_core.compat_names import abstract_provisioner_logger as logger  # noqa: F401
from toil_core.provisioners.abstract import *  # noqa: F401,F403

__all__ = [
    "AbstractProvisioner", "ManagedNodesNotSupportedException", "Shape", "a_short_time", "logger",
]
