"""The core's BatchSystemContract against a real Slurm (toil_hpc/scripts/slurm_up.sh)."""
from pathlib import Path
from typing import Any

import pytest
from toil_core.testing import BatchSystemContract, make_config


class TestSlurmContract(BatchSystemContract):
    batch_system_name = "slurm"
    job_timeout = 120.0

    @pytest.fixture(autouse=True)
    def _cluster(self, slurm: Any, use_scheduler: Any) -> None:
        use_scheduler(slurm)

    @pytest.fixture
    def config(self, tmp_path: Path) -> Any:
        return make_config(tmp_path / "work", batchSystem=self.batch_system_name, statePollingWait=0.5)
