"""The provisioner contract, on an in-memory provisioner (the core ships no provisioner)."""
import pytest

from contract_fakes import FakeProvisioner
from toil_core.testing import ProvisionerContract


class TestFakeProvisioner(ProvisionerContract):
    node_type = "small"

    @pytest.fixture
    def provisioner_class(self):
        return FakeProvisioner


def test_the_live_test_is_skipped_unless_asked_for():
    assert ProvisionerContract.live is False
