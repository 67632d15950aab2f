"""The batch-system contract, run on the ``mesos`` batch system against the Mesos protocol double
(conftest.py: a double of the master's v1 scheduler API and the agents' executor API that launches
the real ``_toil_mesos_executor``; no real Mesos master can be installed here)."""
from __future__ import annotations

from typing import Any

import pytest
from toil_core.testing import BatchSystemContract, make_config, run_tiny_workflow


class TestMesosContract(BatchSystemContract):
    batch_system_name = "mesos"
    job_timeout = 60.0

    @pytest.fixture
    def config(self, tmp_path: Any, mesos_cluster: Any) -> Any:
        return make_config(tmp_path / "work", batchSystem="mesos", mesos_endpoint=mesos_cluster.master)

    @pytest.fixture(autouse=True)
    def _cluster(self, mesos_cluster: Any) -> Any:
        return mesos_cluster

    def test_runs_a_toil_workflow(self, tmp_path: Any, mesos_cluster: Any) -> None:
        """The contract's workflow, pointed at the double with --mesosEndpoint."""
        result = run_tiny_workflow(tmp_path / "workflow", "mesos",
                                   extra_args=["--mesosEndpoint", mesos_cluster.master, "--logLevel", "INFO"])
        assert result.returncode == 0, result.stdout + result.stderr
        assert "tiny workflow result: 42" in result.stdout
