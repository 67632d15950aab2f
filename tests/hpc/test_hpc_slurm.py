"""toil-hpc's ``slurm`` batch system against a real one-node Slurm (toil_hpc/scripts/slurm_up.sh)."""
from __future__ import annotations

import subprocess
import time
from typing import Any, Dict

import pytest
from hpc_suite import SchedulerSuite, optional, wait_for
from hpc_support import Scheduler


class TestSlurm(SchedulerSuite):
    __test__ = True
    scheduler_fixture = "slurm"

    def requested(self, scheduler: Scheduler, scheduler_id: str) -> Dict[str, Any]:
        text = subprocess.run(["scontrol", "show", "job", "-o", scheduler_id], capture_output=True,
                              text=True).stdout
        memory = optional(text, r"MinMemoryNode=(\d+)M") or optional(text, r"mem=(\d+)M")
        return {"cores": optional(text, r"NumCPUs=(\d+)"), "memory_mib": memory, "text": text}

    def test_toil_slurm_args_and_partition(self, make_batch_system: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TOIL_SLURM_ARGS", "--comment=toil-hpc-test --time=10")
        monkeypatch.setenv("TOIL_SLURM_PE", "debug")
        bs = make_batch_system()
        job_id = bs.issueBatchJob("sleep 20", self.job(cores=2))
        while self.scheduler_id_of(bs, job_id) is None:
            time.sleep(0.1)
        text = self.requested(None, self.scheduler_id_of(bs, job_id))["text"]
        bs.killBatchJobs([job_id])
        assert "Comment=toil-hpc-test" in text and "TimeLimit=00:10:00" in text and "Partition=debug" in text

    def test_resource_options_in_toil_slurm_args_are_refused(self, make_batch_system: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TOIL_SLURM_ARGS", "--mem=4G")
        with pytest.raises(ValueError, match="TOIL_SLURM_ARGS must not set --mem=4G"):
            make_batch_system()

    def test_cancelled_job_is_reported_killed(self, make_batch_system: Any) -> None:
        bs = make_batch_system()
        job_id = bs.issueBatchJob("sleep 60", self.job())
        while job_id not in bs.getRunningBatchJobIDs():
            time.sleep(0.2)
        subprocess.run(["scancel", self.scheduler_id_of(bs, job_id)], check=True)
        update = wait_for(bs, job_id)
        assert update.exitReason.name == "KILLED" and update.exitStatus != 0

    def test_accelerators_beyond_the_cluster_are_refused(self, make_batch_system: Any) -> None:
        from toil_core.batch.abstract import InsufficientSystemResources

        bs = make_batch_system()
        with pytest.raises(InsufficientSystemResources, match="accelerators"):
            bs.issueBatchJob("true", self.job(accelerators=[{"count": 1, "kind": "gpu"}]))
