"""Compatibility module: upstream name ``toil.leader``; everything lives in toil_core."""
from toil_core.compat_names import leader_logger as logger  # noqa: F401
from toil_core.leader.errors import DeadlockException, FailedJobsException  # noqa
from toil_core.leader.leader import *  # noqa: F401,F403
from toil_core.leader.service_manager import ServiceManager  # noqa: F401

__all__ = [
    "Leader", "ServiceManager", "logger",
]
