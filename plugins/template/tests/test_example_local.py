"""The example_local batch system keeps toil-core's contracts (run: pytest tests)."""
from __future__ import annotations

import pytest
from toil_core.testing import BatchSystemContract, PluginPackagingContract, make_config

from toil_plugin_example.plugin import ExampleLocalSettings


class TestExampleLocalBatchSystem(BatchSystemContract):
    batch_system_name = "example_local"


class TestExampleLocalPackaging(PluginPackagingContract):
    distribution = "toil-plugin-example"


def test_jobs_beyond_the_parallel_limit_wait(monkeypatch):
    from toil_core.plugins.registry import get_batch_system_class
    from toil_core.testing import make_job_description

    monkeypatch.setenv("TOIL_EXAMPLE_MAX_PARALLEL", "1")
    system = get_batch_system_class("example_local")(make_config(), 4, 2**30, 2**30)
    try:
        first = system.issueBatchJob("sleep 5", make_job_description())
        second = system.issueBatchJob("true", make_job_description())
        assert system.settings == ExampleLocalSettings(example_max_parallel=1)
        assert second in system.getIssuedBatchJobIDs() and second not in system.getRunningBatchJobIDs()
        assert "wait" in (system.getSchedulingStatusMessage() or "")
        system.killBatchJobs([first])
        update = system.getUpdatedBatchJob(30)
        assert update is not None and update.jobID == second and update.exitStatus == 0
    finally:
        system.shutdown()


def test_bad_parallel_limit_is_refused():
    from toil_core.plugins.registry import get_batch_system_class

    with pytest.raises(ValueError):
        get_batch_system_class("example_local")(make_config(example_max_parallel=0), 4, 2**30, 2**30)
