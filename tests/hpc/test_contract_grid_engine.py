"""The core's BatchSystemContract against a real Grid Engine (toil_hpc/scripts/sge_up.sh)."""
from pathlib import Path
from typing import Any

import pytest
from toil_core.testing import BatchSystemContract, make_config


class TestGridEngineContract(BatchSystemContract):
    batch_system_name = "grid_engine"
    job_timeout = 120.0

    @pytest.fixture(autouse=True)
    def _cluster(self, grid_engine: Any, use_scheduler: Any) -> None:
        use_scheduler(grid_engine)

    @pytest.fixture
    def config(self, tmp_path: Path) -> Any:
        return make_config(tmp_path / "work", batchSystem=self.batch_system_name, statePollingWait=0.5)
