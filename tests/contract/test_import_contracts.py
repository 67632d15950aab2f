"""The import contracts of the root pyproject.toml hold, and the plugin API is what it says it is."""
from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

import toil_core.plugin_api as plugin_api

REPO = Path(__file__).resolve().parents[2]

#: The plugin API, pinned: adding or removing a name is a deliberate change to this list.
PLUGIN_API = [
    "AbstractBatchSystem", "AbstractFileStore", "AbstractJobStore", "AbstractProvisioner",
    "AbstractScalableBatchSystem", "AbstractURLAccess", "ClusterTypeNotSupportedException",
    "ManagedNodesNotSupportedException", "Node", "NoSuchClusterException", "BatchJobExitReason", "BatchSystemCleanupSupport",
    "BatchSystemLocalSupport", "BatchSystemSpec", "BatchSystemSupport", "ConcurrentFileModificationException",
    "Config", "CorruptJobError", "EXIT_STATUS_UNAVAILABLE_VALUE", "ExternalBatchIdMessage", "FileID",
    "InsufficientSystemResources", "JobDescription", "LocalSubprocessBatchSystem", "JobStoreError", "JobStoreExistsException", "JobStoreSpec", "NoSuchFileException",
    "NoSuchJobException", "NoSuchJobStoreException", "NodeInfo", "PluginError", "ProvisionerSpec", "Shape",
    "SubcommandSpec", "ToilError", "URLAccessSpec", "UpdatedBatchJobInfo", "WORKER_COMMAND", "WorkerCleanupInfo",
    "WorkerInvocation", "add_argument_if_absent", "add_options", "attempt_owner", "hookimpl", "is_attempt_owner",
    "setting", "settings_from", "JobStoreInUseError", "EncryptionKeyError", "TamperedFileError", "ObjectSealer",
    "LeaseBackend", "acquire_lease", "download_atomically", "ObjectJobStore", "LogPoll", "attempt_job_of",
    "SubmitAndPollBatchSystem", "SubmittedJob", "SchedulerJobStatus", "JOB_PENDING", "JOB_RUNNING", "JOB_DONE",
    "exit_reason_for", "applianceSelf",
]


def _lint_imports() -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.fail("import-linter is not installed: run `python3 dev.py setup` (it is a test requirement)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "plugins" / "template" / "src"),
                                                        os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([str(exe), "--no-cache"], cwd=REPO, env=env, capture_output=True, text=True)


def test_import_contracts_are_kept() -> None:
    done = _lint_imports()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_plugin_api_names_are_pinned() -> None:
    assert sorted(plugin_api.__all__) == sorted(PLUGIN_API)


@pytest.mark.parametrize("name", PLUGIN_API)
def test_plugin_api_name_resolves_and_is_documented(name: str) -> None:
    value = getattr(plugin_api, name)
    if inspect.isclass(value) or inspect.isfunction(value):
        assert (value.__doc__ or "").strip(), f"{name} has no docstring"
    else:  # constants and markers are described in the module's docstring
        assert name in (plugin_api.__doc__ or ""), f"{name} is not described in toil_core.plugin_api"


def test_importing_plugin_api_imports_no_base_class() -> None:
    code = ("import sys, toil_core.plugin_api; "
            "print(any(m.startswith(('toil_core.batch', 'toil_core.jobstores', 'toil_core.job.')) "
            "for m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
