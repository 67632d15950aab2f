"""Upstream-style registration of the naive local batch system without a defect (the control)."""
from toil.batchSystems.registry import add_batch_system_factory


def factory():
    from naive_local import NaiveLocalBatchSystem

    return NaiveLocalBatchSystem


add_batch_system_factory("contract_sound", factory)
