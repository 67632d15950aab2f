"""Upstream-style registration of a naive local batch system whose defect is: report_updates = False."""
from toil.batchSystems.registry import add_batch_system_factory


def factory():
    from naive_local import NaiveLocalBatchSystem

    return type("ContractSilentBatchSystem", (NaiveLocalBatchSystem,), {"report_updates": False})


add_batch_system_factory("contract_silent", factory)
