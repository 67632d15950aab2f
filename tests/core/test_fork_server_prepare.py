"""The local batch system gets its fork server ready while the leader still sets up.

``Toil.start`` calls ``prepare_workers`` once the job store holds the user's module: the fork server
starts, opens the store and imports the module then, so the first job does not wait for that.
"""
from __future__ import annotations

from pathlib import Path

from batch_support import make_config, wait_for
from toil_core.jobstores.file_job_store import FileJobStore
from toil_core.resource import ModuleDescriptor, save_user_module


def _store_with_marking_module(tmp_path: Path) -> Path:
    """A job store whose user module appends the importing process's pid to the returned file."""
    marker = tmp_path / "imported-by"
    modules = tmp_path / "mods"
    modules.mkdir()
    (modules / "prepmod.py").write_text(
        f"import os\nwith open({str(marker)!r}, 'a') as out:\n    out.write(str(os.getpid()) + '\\n')\n")
    store = FileJobStore(str(tmp_path / "js"))
    store.initialize(make_config(tmp_path))
    save_user_module(store, ModuleDescriptor(dirPath=str(modules), name="prepmod"), deploy=False)
    return marker


def _importers(marker: Path) -> list:
    return wait_for(lambda: marker.exists() and marker.read_text().split(), 120,
                    "the fork server to import the user module")


def test_prepare_workers_imports_the_user_module_before_any_job(batch, tmp_path: Path) -> None:
    marker = _store_with_marking_module(tmp_path)
    system = batch()
    system.prepare_workers("file:" + str(tmp_path / "js"), {})

    assert _importers(marker) == [str(system._fork_server.process.pid)]
    assert system.getIssuedBatchJobIDs() == []


def test_a_store_the_server_cannot_open_is_only_noted(batch, tmp_path: Path) -> None:
    """The first job reports an unopenable store itself; the server goes on serving."""
    marker = _store_with_marking_module(tmp_path)
    system = batch()
    system.prepare_workers("file:" + str(tmp_path / "no-such-store"), {})
    system.prepare_workers("file:" + str(tmp_path / "js"), {})

    assert _importers(marker) == [str(system._fork_server.process.pid)]
