"""An upstream-style batch system plugin: registers ``--batchSystem upstreamdemo`` when imported."""
from toil.batchSystems.registry import add_batch_system_factory


def upstreamdemo_batch_system_factory():
    """Import and return the batch system class (imported only when the name is used)."""
    from toil_batch_system_upstreamdemo.batch_system import UpstreamDemoBatchSystem

    return UpstreamDemoBatchSystem


add_batch_system_factory("upstreamdemo", upstreamdemo_batch_system_factory)
