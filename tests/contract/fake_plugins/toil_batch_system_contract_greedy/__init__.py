"""Upstream-style registration of a naive local batch system whose defect is: respect_max_cores = False."""
from toil.batchSystems.registry import add_batch_system_factory


def factory():
    from naive_local import NaiveLocalBatchSystem

    return type("ContractGreedyBatchSystem", (NaiveLocalBatchSystem,), {"respect_max_cores": False})


add_batch_system_factory("contract_greedy", factory)
