"""toil-hpc's ``grid_engine`` batch system against a real Son of Grid Engine 8.1.9 running in a
private network namespace (toil_hpc/scripts/sge_up.sh)."""
from __future__ import annotations

import subprocess
import time
from typing import Any, Dict

import pytest
from hpc_suite import WORKFLOWS, SchedulerSuite, describe, optional
from hpc_support import Scheduler


class TestGridEngine(SchedulerSuite):
    __test__ = True
    scheduler_fixture = "grid_engine"

    def requested(self, scheduler: Scheduler, scheduler_id: str) -> Dict[str, Any]:
        text = subprocess.run(["qstat", "-j", scheduler_id], capture_output=True, text=True).stdout
        slots = optional(text, r"parallel environment:\s+\S+\s+range:\s+(\d+)", 1)
        per_slot = optional(text, r"h_vmem=(\d+)M")
        return {"cores": slots, "memory_mib": per_slot * slots, "text": text}

    def test_gridengine_args_pe_and_manual_mem_args(self, make_batch_system: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TOIL_GRIDENGINE_ARGS", "-A toilhpctest -l h_vmem=1500M")
        monkeypatch.setenv("TOIL_GRIDENGINE_PE", "shm")
        bs = make_batch_system(manualMemArgs=True)
        job_id = bs.issueBatchJob("sleep 20", self.job(cores=2, memory=6 * 2**30))
        while self.scheduler_id_of(bs, job_id) is None:
            time.sleep(0.1)
        text = self.requested(None, self.scheduler_id_of(bs, job_id))["text"]
        bs.killBatchJobs([job_id])
        assert "account:                    toilhpctest" in text, text
        assert "parallel environment:  shm range: 2" in text, text
        assert "h_vmem=1500M" in text and "h_vmem=3" not in text, text

    def test_manual_mem_args_needs_gridengine_args(self, make_batch_system: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("TOIL_GRIDENGINE_ARGS", raising=False)
        with pytest.raises(ValueError, match="--manualMemArgs needs TOIL_GRIDENGINE_ARGS"):
            make_batch_system(manualMemArgs=True)

    def test_job_over_h_vmem_fails_with_memory_error(self, scheduler: Scheduler, shared: Any) -> None:
        """h_vmem caps the job's address space, so allocating past it raises MemoryError in the job;
        the leader shows the worker's log and the job fails."""
        proc = self.run_workflow(scheduler, WORKFLOWS / "memory_hog.py", shared, "--hogMiB", "2000",
                                 "--jobMemory", "700M", "--retryCount", "0", "--hogSeconds", "1")
        assert proc.returncode != 0, describe(proc)
        assert "MemoryError" in proc.stderr, describe(proc)

    def test_upstream_spellings(self) -> None:
        from toil_core.plugins.registry import get_batch_system_class

        for word in ("grid_engine", "gridEngine", "gridengine", "grid-engine"):
            assert get_batch_system_class(word).__name__ == "GridEngineBatchSystem"
