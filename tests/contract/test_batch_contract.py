"""The built-in single_machine batch system keeps the batch system contract."""
from toil_core.testing import BatchSystemContract


class TestSingleMachine(BatchSystemContract):
    batch_system_name = "single_machine"
