"""The core's BatchSystemContract against a real HTCondor pool (toil_hpc/scripts/htcondor_up.sh).

Jobs run inside the pool's Debian 13 chroot as the unprivileged job owner, so the scratch and work
directories are shared ones under /tmp that the owner can write, and the Toil workflow of the
suite runs inside the chroot (where the jobs' Python environment is).
"""
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
from hpc_support import describe
from toil_core.testing import BatchSystemContract, make_config


class TestHTCondorContract(BatchSystemContract):
    batch_system_name = "htcondor"
    job_timeout = 120.0

    @pytest.fixture(autouse=True)
    def _cluster(self, htcondor: Any, use_scheduler: Any) -> Any:
        return use_scheduler(htcondor)

    @pytest.fixture
    def shared(self, htcondor: Any) -> Iterator[Path]:
        path = htcondor.shared_dir("contract")
        yield path
        shutil.rmtree(path, ignore_errors=True)

    @pytest.fixture
    def scratch(self, shared: Path) -> Path:
        return shared

    @pytest.fixture
    def config(self, shared: Path) -> Any:
        work = shared / "work"
        work.mkdir()
        work.chmod(0o777)
        return make_config(work, batchSystem="htcondor", statePollingWait=0.5)

    def test_runs_a_toil_workflow(self, htcondor: Any, shared: Path) -> None:  # type: ignore[override]
        code = "import sys; from toil_core.testing.tiny_workflow import main; sys.exit(main())"
        proc = htcondor.run_python(["-c", code, f"file:{shared / 'jobstore'}", "--batchSystem", "htcondor",
                                    "--logLevel", "INFO"], cwd=shared)
        assert proc.returncode == 0, describe(proc)
        assert "tiny workflow result: 42" in proc.stdout


