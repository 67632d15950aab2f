"""Compatibility module: upstream name ``toil.lib.accelerators``; everything lives in toil_core."""
from toil_core.lib.accelerators import *  # noqa: F401,F403

__all__ = [
    "count_nvidia_gpus", "get_individual_local_accelerators",
    "get_restrictive_environment_for_local_accelerators", "have_working_nvidia_docker_runtime",
    "have_working_nvidia_smi",
]
