"""Fixtures of the cluster scaler tests: the Mesos protocol double (tests/mesos) started with no
agents, the ``mesos_double`` provisioner (double_provisioner.py) registered through a fake
distribution that workflow subprocesses find on PYTHONPATH. The ``moto_server`` fixture (for
autoscaling with the ``aws`` provisioner) is the session's, from tests/support/moto_service.py."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "mesos"))

from mesos_support import MesosCluster  # noqa: E402

PLUGIN_HOOK = '''
from toil_core.plugin_api import ProvisionerSpec


def toil_provisioners():
    return [ProvisionerSpec(name="mesos_double", load="double_provisioner:DoubleProvisioner",
                            summary="Agents of the Mesos double as cluster nodes (tests only).")]
'''


@pytest.fixture
def empty_mesos_double(tmp_path: Path) -> Iterator[MesosCluster]:
    """A Mesos double with no agent: the provisioner adds them."""
    cluster = MesosCluster(tmp_path / "mesos", [])
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def provisioner_path(tmp_path: Path) -> str:
    """PYTHONPATH entries that make the ``mesos_double`` provisioner an installed plugin."""
    from toil_core.testing.fake_dist import make_fake_distribution

    site = make_fake_distribution(tmp_path, "toil-test-double-provisioner", "1.0",
                                  {"toil.provisioners": {"mesos_double": "double_provisioner_plugin"}},
                                  requires=["toil-core>=1.0,<2"],
                                  modules={"double_provisioner_plugin.py": PLUGIN_HOOK})
    return f"{site}:{HERE}"
