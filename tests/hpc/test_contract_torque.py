"""The core's BatchSystemContract against recorded Torque output (no Torque server can be
installed here: tests/hpc/fakes/fake_sched.py replays tests/hpc/recorded/torque)."""
from pathlib import Path
from typing import Any

import pytest
from toil_core.testing import BatchSystemContract, make_config


class TestTorqueContract(BatchSystemContract):
    batch_system_name = "torque"
    job_timeout = 120.0

    @pytest.fixture(autouse=True)
    def _cluster(self, torque: Any, use_scheduler: Any) -> None:
        use_scheduler(torque)

    @pytest.fixture
    def config(self, tmp_path: Path) -> Any:
        return make_config(tmp_path / "work", batchSystem=self.batch_system_name, statePollingWait=0.5)
