"""Upstream-style registration of a naive local batch system whose defect is: keep_signal_deaths = False."""
from toil.batchSystems.registry import add_batch_system_factory


def factory():
    from naive_local import NaiveLocalBatchSystem

    return type("ContractSigzeroBatchSystem", (NaiveLocalBatchSystem,), {"keep_signal_deaths": False})


add_batch_system_factory("contract_sigzero", factory)
