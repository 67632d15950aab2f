"""Compatibility module: upstream name ``toil.batchSystems.registry``; everything lives in toil_core."""
from toil_core.batch.registry import *  # noqa: F401,F403
from toil_core.compat_names import (  # noqa: F401
    BATCH_SYSTEMS,
    aws_batch_batch_system_factory,
    gridengine_batch_system_factory,
    htcondor_batch_system_factory,
    kubernetes_batch_system_factory,
    lsf_batch_system_factory,
    mesos_batch_system_factory,
    paraSol_batch_system_factory,
    slurm_batch_system_factory,
    tes_batch_system_factory,
    torque_batch_system_factory,
)
from toil_core.compat_names import registry_logger as logger  # noqa: F401


# Upstream 6+ names used by upstream-style plugin modules (toil_batch_system_*): imported by name so
# that they stay importable; not in __all__, which lists the upstream 5.10 names.
from toil_core.batch.registry import add_batch_system_factory, get_batch_systems  # noqa: F401,E402

__all__ = [
    "BATCH_SYSTEMS", "BATCH_SYSTEM_FACTORY_REGISTRY", "DEFAULT_BATCH_SYSTEM", "addBatchSystemFactory",
    "aws_batch_batch_system_factory", "gridengine_batch_system_factory", "htcondor_batch_system_factory",
    "kubernetes_batch_system_factory", "logger", "lsf_batch_system_factory", "mesos_batch_system_factory",
    "paraSol_batch_system_factory", "restore_batch_system_plugin_state", "save_batch_system_plugin_state",
    "single_machine_batch_system_factory", "slurm_batch_system_factory", "tes_batch_system_factory",
    "torque_batch_system_factory",
]
