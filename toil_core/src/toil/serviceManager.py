"""Compatibility module: upstream name ``toil.serviceManager``; everything lives in toil_core."""
from toil_core.leader.service_manager import ServiceManager, logger  # noqa: F401

__all__ = [
    "ServiceManager", "logger",
]
