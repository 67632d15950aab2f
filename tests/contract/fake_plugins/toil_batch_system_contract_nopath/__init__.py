"""Upstream-style registration of a naive local batch system whose defect is: add_interpreter_dir_to_path = False."""
from toil.batchSystems.registry import add_batch_system_factory


def factory():
    from naive_local import NaiveLocalBatchSystem

    return type("ContractNopathBatchSystem", (NaiveLocalBatchSystem,), {"add_interpreter_dir_to_path": False})


add_batch_system_factory("contract_nopath", factory)
