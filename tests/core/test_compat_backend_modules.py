"""Upstream backend module paths (``toil.batchSystems.slurm``, ``toil.jobStores.aws.jobStore``, ...).

Backend distributions register the upstream paths they provide in the ``toil.compat_modules`` entry
point group; without the backend, importing such a path fails with an ImportError naming the extra.
"""
import importlib
import subprocess
import sys

import pytest

from toil_core import compat_modules
from toil_core.testing import FakeDistributions

BACKEND_SOURCE = '''
class FakeCloudBatchSystem:
    """Stands for a backend's batch system class."""
'''


@pytest.fixture
def fake_dists(tmp_path):
    with FakeDistributions(tmp_path) as dists:
        yield dists
    for name in [n for n in sys.modules if n.startswith("toil.batchSystems.fakeCloud")
                 or n.startswith("toil.jobStores.fakeCloud")]:
        del sys.modules[name]


def test_a_registered_path_is_the_backend_module(fake_dists):
    fake_dists.add("toil-fakecloud", "1.0", {"toil.compat_modules": {
        "toil.batchSystems.fakeCloud": "fakecloud_backend.batch"}},
        modules={"fakecloud_backend/__init__.py": "", "fakecloud_backend/batch.py": BACKEND_SOURCE})
    from toil.batchSystems.fakeCloud import FakeCloudBatchSystem

    backend = importlib.import_module("fakecloud_backend.batch")
    assert FakeCloudBatchSystem is backend.FakeCloudBatchSystem
    assert sys.modules["toil.batchSystems.fakeCloud"] is backend
    assert backend.__spec__.name == "fakecloud_backend.batch"  # the backend keeps its own spec


def test_parents_of_registered_paths_become_packages(fake_dists):
    fake_dists.add("toil-fakecloud", "1.0", {"toil.compat_modules": {
        "toil.jobStores.fakeCloud.jobStore": "fakecloud_backend.store"}},
        modules={"fakecloud_backend/__init__.py": "",
                 "fakecloud_backend/store.py": "class FakeCloudJobStore: pass\n"})
    from toil.jobStores.fakeCloud.jobStore import FakeCloudJobStore

    assert FakeCloudJobStore.__module__ == "fakecloud_backend.store"
    assert hasattr(sys.modules["toil.jobStores.fakeCloud"], "__path__")


def test_an_unregistered_path_outside_the_backend_families_is_a_plain_import_error():
    with pytest.raises(ModuleNotFoundError) as info:
        importlib.import_module("toil.batchSystems.noSuchThing")
    assert "extra" not in str(info.value)


def test_a_backend_family_without_a_core_extra_says_none_provides_it(monkeypatch):
    monkeypatch.setattr(compat_modules, "UPSTREAM_FAMILIES", (("toil.batchSystems.fakeGrid", ("fakegrid",)),))
    with pytest.raises(ModuleNotFoundError, match="toil-core has no 'fakegrid' extra"):
        importlib.import_module("toil.batchSystems.fakeGrid")


def test_core_extras_are_the_ones_in_the_core_metadata():
    extras = compat_modules._core_extras()
    assert "hpc" in extras and "cwl" in extras


def test_hpc_registers_the_upstream_slurm_module():
    import toil_hpc.slurm
    from toil.batchSystems.slurm import SlurmBatchSystem

    assert SlurmBatchSystem is toil_hpc.slurm.SlurmBatchSystem


def test_a_missing_backend_names_the_extra_to_install():
    """With toil-hpc switched off its registrations vanish, and the error names the extra."""
    code = ("import toil\n"
            "try:\n"
            "    import toil.batchSystems.slurm\n"
            "except ImportError as error:\n"
            "    print(type(error).__name__, error)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**__import__("os").environ, "TOIL_DISABLE_PLUGINS": "toil-hpc"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ModuleNotFoundError No module named 'toil.batchSystems.slurm'")
    assert "pip install 'toil-core[hpc]'" in result.stdout
